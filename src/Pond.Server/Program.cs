// `pond` — one executable: serve (default), migrate, user, demo. See Hosting/PondCli.cs.
return await Pond.Server.Hosting.PondCli.RunAsync(args);

namespace Pond.Server
{
    /// <summary>Marker for the entry assembly (used by the router and by tests).</summary>
    public partial class Program;
}
