using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Pond.Staff;

namespace Pond.Sop;

public static class SopServices
{
    /// <summary>SOP plans, the staff task board and the SOP engine; the engine's loop runs only where engines run.</summary>
    public static IServiceCollection AddSop(this IServiceCollection services, bool runEngines)
    {
        services.TryAddSingleton<SopPlans>();
        services.TryAddSingleton<SopEngine>();
        services.TryAddSingleton<TaskBoard>();
        if (runEngines)
            services.AddHostedService<SopEngineService>();
        return services;
    }
}
