namespace Security.Tests.Infrastructure;

/// <summary>Where the repository and the built TokenService binary are.</summary>
public static class RepoPaths
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "TokenService.slnx")))
                {
                    return dir.FullName;
                }
            }

            // Artifacts may live outside the repository (ArtifactsPath): fall back to the source tree of this file.
            return Path.GetFullPath(Path.Combine(ThisDirectory(), "..", "..", ".."));
        }
    }

    /// <summary>$ArtifactsPath/bin/TokenService/debug when ArtifactsPath is set, else the repository's artifacts/ (make test).</summary>
    public static string TokenServiceDll
    {
        get
        {
            var artifacts = Environment.GetEnvironmentVariable("ArtifactsPath") is { Length: > 0 } a ? a : Path.Combine(Root, "artifacts");
            var dll = Path.Combine(artifacts, "bin", "TokenService", "debug", "TokenService.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"build the TokenService first: {dll} is missing");
        }
    }

    private static string ThisDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
