using System.Buffers;
using System.Text.Json;

namespace TokenService.Issuance;

/// <summary>
/// JSON written synchronously into a buffer this thread reuses: a token's claims (JwtWriter) and the token response
/// (TokenResponse) cost no buffer allocation of their own. The span is valid until this thread's next call, so the
/// caller copies it out before anything else can run on the thread (no await in between).
/// </summary>
public static class PerThreadJson
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? writer;

    public static ReadOnlySpan<byte> Write<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        var output = buffer ??= new ArrayBufferWriter<byte>(2048);
        output.ResetWrittenCount();
        var json = writer ??= new Utf8JsonWriter(output);
        json.Reset(output);
        write(json, state);
        json.Flush();
        return output.WrittenSpan;
    }
}
