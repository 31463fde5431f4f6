using System.Text;
using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Npgsql;
using TokenService.Issuance;
using TokenService.Keys;

namespace TokenService.Crypto;

/// <summary>
/// The Data Protection key ring (antiforgery tokens, login session cookies) in PostgreSQL, so every instance reads
/// the cookies of every other. Data Protection calls this synchronously and caches the ring, so it runs rarely.
/// </summary>
public sealed class PostgresXmlRepository(NpgsqlDataSource db, KeyRing ring) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        const string sql = "SELECT xml FROM data_protection_keys ORDER BY id";
        using var connection = db.OpenConnection();
        return connection.Query<string>(new CommandDefinition(sql)).Select(x => XElement.Parse(x)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        // A new key is sealed under this instance's KEK, which is only known to be the deployment's once it has opened
        // the signing keys (the ring is loaded). Until then it may be a wrong one, and a key sealed under it would be
        // unreadable to every instance reading this table: 503 until then, as the token endpoint answers.
        if (ring.Current is null)
        {
            throw new KeysNotLoadedException();
        }

        const string sql = "INSERT INTO data_protection_keys (friendly_name, xml) VALUES (@friendlyName, @xml)";
        using var connection = db.OpenConnection();
        connection.Execute(new CommandDefinition(sql, new { friendlyName, xml = element.ToString(SaveOptions.DisableFormatting) }));
    }
}

/// <summary>Seals each Data Protection key under the KEK (AES-256-GCM, like signing keys), so the table alone opens nothing.</summary>
public sealed class KekXmlEncryptor(KeyEncryption kek) : IXmlEncryptor
{
    internal const string Purpose = "data-protection-key";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var sealedKey = kek.Seal(Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting)), Purpose);
        return new EncryptedXmlInfo(new XElement("sealedKey", new XElement("value", Convert.ToBase64String(sealedKey))), typeof(KekXmlDecryptor));
    }
}

/// <summary>Created by Data Protection by type name with the service provider (its activator's convention).</summary>
public sealed class KekXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var sealedKey = Convert.FromBase64String((string?)encryptedElement.Element("value") ?? "");
        var plaintext = services.GetRequiredService<KeyEncryption>().Open(sealedKey, KekXmlEncryptor.Purpose);
        return XElement.Parse(Encoding.UTF8.GetString(plaintext));
    }
}
