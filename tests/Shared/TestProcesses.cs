using System.Diagnostics;

namespace Pond.Testing;

/// <summary>Whether a test run that left files or servers behind is still going.</summary>
public static class TestProcesses
{
    public static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
