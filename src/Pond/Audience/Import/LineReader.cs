using System.Text;

namespace Pond.Audience.Import;

/// <summary>
/// Lines of a text file, like <see cref="TextReader.ReadLine"/>, but a line longer than <see cref="MaxLineLength"/>
/// is cut there and the rest of it skipped (and reported), so a file without line breaks cannot make one enormous string.
/// </summary>
internal sealed class LineReader(TextReader reader)
{
    public const int MaxLineLength = 1 << 20;

    private readonly char[] _buffer = new char[1 << 16];
    private readonly StringBuilder _line = new();
    private int _position;
    private int _length;

    /// <summary>True when the last line returned was cut at <see cref="MaxLineLength"/>.</summary>
    public bool Truncated { get; private set; }

    public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        _line.Clear();
        Truncated = false;
        var any = false;
        while (true)
        {
            if (_position == _length)
            {
                _length = await reader.ReadAsync(_buffer.AsMemory(), cancellationToken);
                _position = 0;
                if (_length == 0)
                    return any ? Take() : null;
            }

            any = true;
            var span = _buffer.AsSpan(_position, _length - _position);
            var end = span.IndexOfAny('\n', '\r');
            var piece = end < 0 ? span : span[..end];
            var room = MaxLineLength - _line.Length;
            if (piece.Length > room)
            {
                Truncated = true;
                _line.Append(piece[..room]);
            }
            else
            {
                _line.Append(piece);
            }

            if (end < 0)
            {
                _position = _length;
                continue;
            }

            _position += end + 1;
            if (span[end] == '\r')
            {
                // \r\n is one line break.
                if (_position == _length)
                {
                    _length = await reader.ReadAsync(_buffer.AsMemory(), cancellationToken);
                    _position = 0;
                }

                if (_position < _length && _buffer[_position] == '\n')
                    _position++;
            }

            return Take();
        }
    }

    private string Take() => _line.ToString();
}
