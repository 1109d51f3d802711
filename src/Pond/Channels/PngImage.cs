using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Pond.Channels;

/// <summary>
/// A small RGBA image with just enough PNG to put a brand logo on a QR code: decoding non-interlaced PNGs (grey and
/// palette at 1–8 bits, RGB, grey+alpha and RGBA at 8 bits — what logo exports are) and encoding RGBA. No image
/// library restores on these machines; the platform's zlib does the compression.
/// </summary>
public sealed class PngImage
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    public PngImage(int width, int height)
    {
        if (width is < 1 or > 4096 || height is < 1 or > 4096)
            throw new ValidationFailedException("An image is 1–4096 pixels wide and high.", "logo");
        Width = width;
        Height = height;
        Pixels = new byte[width * height * 4];
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>RGBA, row by row.</summary>
    public byte[] Pixels { get; }

    public void Set(int x, int y, byte r, byte g, byte b, byte a = 255)
    {
        var i = ((y * Width) + x) * 4;
        (Pixels[i], Pixels[i + 1], Pixels[i + 2], Pixels[i + 3]) = (r, g, b, a);
    }

    public (byte R, byte G, byte B, byte A) Get(int x, int y)
    {
        var i = ((y * Width) + x) * 4;
        return (Pixels[i], Pixels[i + 1], Pixels[i + 2], Pixels[i + 3]);
    }

    public byte[] Encode()
    {
        using var output = new MemoryStream();
        output.Write(Signature);
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, Width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], Height);
        header[8] = 8; // bit depth
        header[9] = 6; // RGBA
        WriteChunk(output, "IHDR", header);
        using (var raw = new MemoryStream())
        {
            using (var zlib = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
            {
                for (var y = 0; y < Height; y++)
                {
                    zlib.WriteByte(0); // filter: none
                    zlib.Write(Pixels, y * Width * 4, Width * 4);
                }
            }

            WriteChunk(output, "IDAT", raw.ToArray());
        }

        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    public static PngImage Decode(ReadOnlySpan<byte> png)
    {
        if (png.Length < Signature.Length + 25 || !png[..8].SequenceEqual(Signature))
            throw Unsupported("it is not a PNG file");
        int width = 0, height = 0, colorType = -1, depth = 8;
        byte[]? palette = null, transparency = null;
        using var compressed = new MemoryStream();
        var at = 8;
        while (at + 12 <= png.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png[at..]);
            if (length < 0 || at + 12 + length > png.Length)
                throw Unsupported("it is truncated");
            var type = Encoding.ASCII.GetString(png.Slice(at + 4, 4));
            var data = png.Slice(at + 8, length);
            switch (type)
            {
                case "IHDR":
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    colorType = data[9];
                    depth = data[8];
                    // Grey and palette images may pack 1, 2 or 4 bits per pixel; everything else must be 8-bit.
                    if (depth != 8 && !(colorType is 0 or 3 && depth is 1 or 2 or 4))
                        throw Unsupported($"it has {depth}-bit channels; export it as an 8-bit PNG");
                    if (data[12] != 0)
                        throw Unsupported("it is interlaced; export it without interlacing");
                    break;
                case "PLTE":
                    palette = data.ToArray();
                    break;
                case "tRNS":
                    transparency = data.ToArray();
                    break;
                case "IDAT":
                    compressed.Write(data);
                    break;
            }

            at += 12 + length;
            if (type == "IEND")
                break;
        }

        var channels = colorType switch
        {
            0 => 1,
            2 => 3,
            3 => 1,
            4 => 2,
            6 => 4,
            _ => throw Unsupported("its colour type is unknown"),
        };
        if (colorType == 3 && palette is null)
            throw Unsupported("its palette is missing");
        var image = new PngImage(width, height);
        var stride = depth == 8 ? width * channels : ((width * depth) + 7) / 8;
        var mask = (1 << depth) - 1;
        var rows = new byte[(stride + 1) * height];
        compressed.Position = 0;
        using (var zlib = new ZLibStream(compressed, CompressionMode.Decompress))
        {
            try
            {
                zlib.ReadExactly(rows);
            }
            catch (Exception e) when (e is EndOfStreamException or InvalidDataException)
            {
                throw Unsupported("its image data is damaged");
            }
        }

        var previous = new byte[stride];
        var current = new byte[stride];
        for (var y = 0; y < height; y++)
        {
            var filter = rows[y * (stride + 1)];
            Array.Copy(rows, (y * (stride + 1)) + 1, current, 0, stride);
            Unfilter(filter, current, previous, depth == 8 ? channels : 1);
            for (var x = 0; x < width; x++)
            {
                var p = x * channels;
                // A packed sample (depth < 8): the pixel's bits, most significant first.
                var sample = depth == 8 ? current[p] : (current[x * depth / 8] >> (8 - depth - (x * depth % 8))) & mask;
                switch (colorType)
                {
                    case 0:
                        var grey = (byte)(sample * 255 / mask);
                        image.Set(x, y, grey, grey, grey);
                        break;
                    case 2:
                        image.Set(x, y, current[p], current[p + 1], current[p + 2]);
                        break;
                    case 3:
                        var index = sample;
                        if ((index * 3) + 2 >= palette!.Length)
                            throw Unsupported("it points outside its palette");
                        image.Set(x, y, palette[index * 3], palette[(index * 3) + 1], palette[(index * 3) + 2],
                            transparency is not null && index < transparency.Length ? transparency[index] : (byte)255);
                        break;
                    case 4:
                        image.Set(x, y, current[p], current[p], current[p], current[p + 1]);
                        break;
                    default:
                        image.Set(x, y, current[p], current[p + 1], current[p + 2], current[p + 3]);
                        break;
                }
            }

            (previous, current) = (current, previous);
        }

        return image;
    }

    private static void Unfilter(byte filter, byte[] row, byte[] above, int bytesPerPixel)
    {
        for (var i = 0; i < row.Length; i++)
        {
            int left = i >= bytesPerPixel ? row[i - bytesPerPixel] : 0;
            int up = above[i];
            int upLeft = i >= bytesPerPixel ? above[i - bytesPerPixel] : 0;
            row[i] = filter switch
            {
                0 => row[i],
                1 => (byte)(row[i] + left),
                2 => (byte)(row[i] + up),
                3 => (byte)(row[i] + ((left + up) / 2)),
                4 => (byte)(row[i] + Paeth(left, up, upLeft)),
                _ => throw Unsupported("a row has an unknown filter"),
            };
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var (pa, pb, pc) = (Math.Abs(p - a), Math.Abs(p - b), Math.Abs(p - c));
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        output.Write(length);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        var crc = Crc32.Append(Crc32.Append(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc);
        output.Write(crcBytes);
    }

    private static ValidationFailedException Unsupported(string why) =>
        new($"The logo cannot be used as a PNG: {why}.", "logo");

    /// <summary>PNG's CRC-32 (ISO 3309), which System.IO.Hashing would provide if it were restorable here.</summary>
    private static class Crc32
    {
        private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
        {
            var c = (uint)n;
            for (var k = 0; k < 8; k++)
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            return c;
        }).ToArray();

        public static uint Append(uint crc, ReadOnlySpan<byte> data)
        {
            foreach (var b in data)
                crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
            return crc;
        }
    }
}
