using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pond.Tests.Experiments;

/// <summary>
/// Runs a Python script with SciPy (Debian's python3-scipy, installed by scripts/test.sh) from the test process: the
/// reference the experiment statistics are checked against. A missing SciPy fails the test, never skips it.
/// </summary>
internal static class SciPy
{
    private static readonly Lazy<string> Interpreter = new(Find);

    public static JsonNode Run(string script, JsonNode input)
    {
        var start = new ProcessStartInfo(Interpreter.Value)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start.");
        process.StandardInput.Write(input.ToJsonString());
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill();
            throw new TimeoutException("The SciPy reference script ran for more than a minute.");
        }

        if (process.ExitCode != 0)
            throw new InvalidOperationException($"The SciPy reference script failed ({process.ExitCode}): {error.Result}");
        return JsonNode.Parse(output.Result) ?? throw new InvalidOperationException("The SciPy reference script printed nothing.");
    }

    /// <summary>Debian's python3 first (pyenv or venv interpreters on PATH usually lack the distribution's scipy).</summary>
    private static string Find()
    {
        foreach (var candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(candidate, ["-c", "import scipy"])
                {
                    RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
                });
                if (process is not null && process.WaitForExit(30_000) && process.ExitCode == 0)
                    return candidate;
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
        }

        throw new InvalidOperationException(
            "SciPy is the reference for the experiment statistics and is not installed: apt-get install python3-scipy (scripts/test.sh installs it).");
    }

    public static double Number(JsonNode? node) => node!.GetValue<double>();

    public static JsonArray Array<T>(IEnumerable<T> values) => new(values.Select(v => JsonValue.Create(v)).ToArray<JsonNode?>());

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}
