using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Pond.WeCom;

/// <summary>
/// WeCom's callback encryption (企业微信 加解密方案): a SHA1 signature over the sorted token, timestamp,
/// nonce and ciphertext, and AES-256-CBC with the 43-character EncodingAESKey (base64 of the key; the IV
/// is the key's first 16 bytes), PKCS#7 padded to 32-byte blocks, over
/// random(16) · msg_len(4, network order) · msg · receiveid. receiveid is the corp id for internal apps.
/// </summary>
public sealed class WeComCrypto
{
    private const int PadBlock = 32;
    private readonly string _token;
    private readonly byte[] _key;
    private readonly byte[] _iv;
    private readonly byte[] _receiveId;

    public WeComCrypto(string token, string encodingAesKey, string receiveId)
    {
        if (string.IsNullOrEmpty(token))
            throw new ValidationFailedException("The WeCom callback Token is required.", "token");
        if (encodingAesKey is not { Length: 43 })
            throw new ValidationFailedException("The WeCom EncodingAESKey is 43 characters, as shown in the WeCom admin console.", "encodingAesKey");
        try
        {
            _key = Convert.FromBase64String(encodingAesKey + "=");
        }
        catch (FormatException)
        {
            throw new ValidationFailedException("The WeCom EncodingAESKey must be base64 characters (A–Z, a–z, 0–9, +, /).", "encodingAesKey");
        }

        _token = token;
        _iv = _key[..16];
        _receiveId = Encoding.UTF8.GetBytes(receiveId);
    }

    /// <summary>msg_signature: SHA1 (hex) of the four values sorted by ordinal and concatenated.</summary>
    public string Sign(string timestamp, string nonce, string encrypted) => TencentSignature.Compute(_token, timestamp, nonce, encrypted);

    public bool Verify(string signature, string timestamp, string nonce, string encrypted) =>
        TencentSignature.Matches(Sign(timestamp, nonce, encrypted), signature);

    /// <summary>Decrypts a callback's Encrypt field (or a URL check's echostr). Throws <see cref="CallbackRejectedException"/> if it is not ours.</summary>
    public string Decrypt(string encrypted)
    {
        byte[] cipher;
        try
        {
            cipher = Convert.FromBase64String(encrypted);
        }
        catch (FormatException)
        {
            throw new CallbackRejectedException("The ciphertext is not base64.");
        }

        if (cipher.Length == 0 || cipher.Length % 16 != 0)
            throw new CallbackRejectedException("The ciphertext is not a whole number of AES blocks.");
        using var aes = Aes.Create();
        aes.Key = _key;
        var plain = aes.DecryptCbc(cipher, _iv, PaddingMode.None);

        var pad = plain[^1];
        if (pad is < 1 or > PadBlock || pad > plain.Length)
            throw new CallbackRejectedException("The padding is not PKCS#7 to 32 bytes: wrong EncodingAESKey?");
        var body = plain.AsSpan(0, plain.Length - pad);
        if (body.Length < 20)
            throw new CallbackRejectedException("The plaintext is too short.");
        var length = BinaryPrimitives.ReadInt32BigEndian(body.Slice(16, 4));
        if (length < 0 || 20 + length > body.Length)
            throw new CallbackRejectedException("The message length does not fit the plaintext: wrong EncodingAESKey?");
        var receiveId = body[(20 + length)..];
        if (!receiveId.SequenceEqual(_receiveId))
            throw new CallbackRejectedException("The message is addressed to another corp (receiveid differs).");
        return Encoding.UTF8.GetString(body.Slice(20, length));
    }

    /// <summary>Encrypts a message as WeCom does (used for replies and by Pond's simulator and tests).</summary>
    public string Encrypt(string message, ReadOnlySpan<byte> random = default)
    {
        var msg = Encoding.UTF8.GetBytes(message);
        var length = 16 + 4 + msg.Length + _receiveId.Length;
        var pad = PadBlock - length % PadBlock;
        var plain = new byte[length + pad];
        if (random.IsEmpty)
            RandomNumberGenerator.Fill(plain.AsSpan(0, 16));
        else
            random[..16].CopyTo(plain);
        BinaryPrimitives.WriteInt32BigEndian(plain.AsSpan(16, 4), msg.Length);
        msg.CopyTo(plain, 20);
        _receiveId.CopyTo(plain, 20 + msg.Length);
        plain.AsSpan(length).Fill((byte)pad);

        using var aes = Aes.Create();
        aes.Key = _key;
        return Convert.ToBase64String(aes.EncryptCbc(plain, _iv, PaddingMode.None));
    }
}

/// <summary>A callback Pond cannot accept: malformed, not from WeCom, or for another key or corp.</summary>
public sealed class CallbackRejectedException(string message) : Exception(message);

/// <summary>A callback whose signature does not verify: answered 401, and nothing of it is stored.</summary>
public sealed class CallbackSignatureException(string message) : Exception(message);
