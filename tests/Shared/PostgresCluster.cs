using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Pond.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster for the whole test run: initdb + pg_ctl on a free loopback port,
/// as the 'postgres' OS user when the tests run as root (PostgreSQL refuses to run as root).
/// Missing binaries fail the run; storage tests never skip PostgreSQL.
/// </summary>
public sealed class PostgresCluster
{
    private static readonly Lazy<PostgresCluster> Shared = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly string _dataDir;
    private readonly string _binDir;
    private readonly string? _runAs;
    private int _databases;

    private PostgresCluster(string dataDir, string binDir, string? runAs, int port)
    {
        _dataDir = dataDir;
        _binDir = binDir;
        _runAs = runAs;
        Port = port;
    }

    public int Port { get; }

    public static PostgresCluster Instance => Shared.Value;

    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false;Timeout=30";

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public string CreateDatabase()
    {
        var name = $"pond_test_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            connection.Open();
            using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            command.ExecuteNonQuery();
        }

        return $"Host=127.0.0.1;Port={Port};Username=postgres;Database={name};Maximum Pool Size=20";
    }

    private static PostgresCluster Start()
    {
        var binDir = FindBinDir() ?? throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found. Run ./scripts/test.sh, which installs them, or apt-get install postgresql.");
        var runAs = Environment.UserName == "root" ? "postgres" : null;
        StopAbandonedClusters(binDir, runAs);
        var dataDir = Path.Combine(Path.GetTempPath(), $"pond-pg-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dataDir);
        if (runAs is not null)
            Run("chown", $"{runAs} {dataDir}", null);

        Run(Path.Combine(binDir, "initdb"), $"-D {dataDir} -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync", runAs);
        var port = FreePort();
        var options = $"-p {port} -k {dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=1000";
        Run(Path.Combine(binDir, "pg_ctl"), $"-D {dataDir} -l {dataDir}/server.log -o \"{options}\" -w -t 60 start", runAs);

        var cluster = new PostgresCluster(dataDir, binDir, runAs, port);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Stop();
        StartWatchdog(cluster);
        return cluster;
    }

    /// <summary>
    /// The test host is often killed rather than exited, so ProcessExit never runs: a detached shell
    /// waits for this process to go and then stops the cluster and removes its folder.
    /// </summary>
    private static void StartWatchdog(PostgresCluster cluster)
    {
        var stop = StopCommand(cluster._binDir, cluster._dataDir, cluster._runAs);
        var script = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done; {stop}; rm -rf {cluster._dataDir}";
        var start = new ProcessStartInfo("setsid", ["bash", "-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var watchdog = Process.Start(start);
    }

    /// <summary>Stops clusters left behind by test runs whose process is gone (a killed run, a crashed host).</summary>
    private static void StopAbandonedClusters(string binDir, string? runAs)
    {
        foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), "pond-pg-*"))
        {
            var parts = Path.GetFileName(dir).Split('-');
            if (parts.Length < 4 || !int.TryParse(parts[2], out var pid) || TestProcesses.IsAlive(pid))
                continue;
            try
            {
                if (File.Exists(Path.Combine(dir, "postmaster.pid")))
                    Run("bash", $"-c \"{StopCommand(binDir, dir, runAs)}\"", null);
                Directory.Delete(dir, recursive: true);
            }
            catch (InvalidOperationException)
            {
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private static string StopCommand(string binDir, string dataDir, string? runAs)
    {
        var pgCtl = $"{Path.Combine(binDir, "pg_ctl")} -D {dataDir} -m immediate stop";
        return runAs is null ? pgCtl : $"runuser -u {runAs} -- {pgCtl}";
    }

    private void Stop()
    {
        try
        {
            Run(Path.Combine(_binDir, "pg_ctl"), $"-D {_dataDir} -m immediate stop", _runAs);
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (InvalidOperationException)
        {
            // The run is over; a leftover temp folder is not worth failing it for.
        }
        catch (IOException)
        {
        }
    }

    private static string? FindBinDir()
    {
        var fromEnv = Environment.GetEnvironmentVariable("POND_PG_BIN");
        if (fromEnv is not null && File.Exists(Path.Combine(fromEnv, "initdb")))
            return fromEnv;
        const string root = "/usr/lib/postgresql";
        if (Directory.Exists(root))
        {
            var newest = Directory.GetDirectories(root)
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => d, StringComparer.Ordinal)
                .FirstOrDefault();
            if (newest is not null)
                return newest;
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Run(string file, string arguments, string? runAs)
    {
        var start = runAs is null
            ? new ProcessStartInfo(file, arguments)
            : new ProcessStartInfo("runuser", $"-u {runAs} -- {file} {arguments}");
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = Path.GetTempPath();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {arguments} failed ({process.ExitCode}): {stderr.Result}{stdout.Result}");
    }
}
