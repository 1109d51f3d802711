using Microsoft.Extensions.DependencyInjection;

namespace Pond.Content;

public static class ContentServices
{
    /// <summary>Registers the content library; its files live under &lt;dataDirectory&gt;/content.</summary>
    public static IServiceCollection AddContentLibrary(this IServiceCollection services, string dataDirectory)
    {
        services.AddSingleton(new ContentFiles(dataDirectory));
        services.AddSingleton<ContentLinks>();
        services.AddSingleton<ContentLibrary>();
        services.AddSingleton<ContentPreview>();
        return services;
    }
}
