using System.Globalization;

namespace TokenService.Crypto;

/// <summary>The PHC string format for Argon2id: <c>$argon2id$v=19$m=..,t=..,p=..$salt$hash</c>.</summary>
public readonly record struct PhcString(Argon2Parameters Parameters, byte[] Salt, byte[] Hash)
{
    public static bool TryParse(string phc, out PhcString value)
    {
        value = default;
        var parts = phc.Split('$');
        // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
        if (parts.Length != 6 || parts[0].Length != 0 || parts[1] != "argon2id" || parts[2] != "v=19")
        {
            return false;
        }

        int m = 0, t = 0, p = 0;
        foreach (var kv in parts[3].Split(','))
        {
            var pair = kv.Split('=', 2);
            if (pair.Length != 2 || !int.TryParse(pair[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
            {
                return false;
            }

            switch (pair[0])
            {
                case "m": m = n; break;
                case "t": t = n; break;
                case "p": p = n; break;
                default: return false;
            }
        }

        if (m == 0 || t == 0 || p == 0 || !TryBase64(parts[4], out var salt) || !TryBase64(parts[5], out var hash) || hash.Length < 16)
        {
            return false;
        }

        value = new PhcString(new Argon2Parameters(m, t, p), salt, hash);
        return true;
    }

    private static bool TryBase64(string unpadded, out byte[] bytes)
    {
        var padded = unpadded.PadRight(unpadded.Length + ((4 - (unpadded.Length % 4)) % 4), '=');
        bytes = new byte[padded.Length];
        if (!Convert.TryFromBase64String(padded, bytes, out var written) || written == 0)
        {
            return false;
        }

        bytes = bytes[..written];
        return true;
    }
}
