namespace Shared.Hosting;

/// <summary>
/// A setting that cannot be used, named as the operator sets it (<c>DATABASE_URL</c>, <c>Argon2__MemoryKiB</c>), with
/// what is expected instead. Never carries the value itself: DATABASE_URL may hold a password.
/// </summary>
public sealed class SettingException(string setting, string expected, Exception? inner = null)
    : Exception($"{setting}: {expected}", inner)
{
    public string Setting { get; } = setting;
}
