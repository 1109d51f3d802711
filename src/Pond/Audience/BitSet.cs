using System.Numerics;
using System.Runtime.InteropServices;

namespace Pond.Audience;

/// <summary>
/// A fixed-size set of customer ordinals, one bit each. The word loops are written over spans of
/// <see cref="Vector{T}"/> so the JIT uses the machine's widest registers (AVX2 here: 256 bits at a time).
/// </summary>
internal sealed class BitSet
{
    private ulong[] _words;

    public BitSet(int capacity) => _words = new ulong[WordsFor(capacity)];

    private BitSet(ulong[] words) => _words = words;

    public int Capacity => _words.Length * 64;

    public Span<ulong> Words => _words;

    public static int WordsFor(int capacity) => (capacity + 63) >> 6;

    public bool this[int index]
    {
        get => (uint)(index >> 6) < (uint)_words.Length && (_words[index >> 6] & (1UL << index)) != 0;
        set
        {
            if (value)
                _words[index >> 6] |= 1UL << index;
            else if ((uint)(index >> 6) < (uint)_words.Length)
                _words[index >> 6] &= ~(1UL << index);
        }
    }

    public void EnsureCapacity(int capacity)
    {
        var words = WordsFor(capacity);
        if (words > _words.Length)
            Array.Resize(ref _words, Math.Max(words, _words.Length * 2));
    }

    public BitSet Clone() => new((ulong[])_words.Clone());

    public void Clear() => Array.Clear(_words);

    public void SetAll(int count)
    {
        EnsureCapacity(count);
        Array.Clear(_words);
        var full = count >> 6;
        _words.AsSpan(0, full).Fill(ulong.MaxValue);
        if ((count & 63) != 0)
            _words[full] = (1UL << (count & 63)) - 1;
    }

    public void And(BitSet other)
    {
        var length = Math.Min(other._words.Length, _words.Length);
        var mine = _words.AsSpan(0, length);
        var theirs = other._words.AsSpan(0, length);
        var a = MemoryMarshal.Cast<ulong, Vector<ulong>>(mine);
        var b = MemoryMarshal.Cast<ulong, Vector<ulong>>(theirs);
        for (var i = 0; i < a.Length; i++)
            a[i] &= b[i];
        for (var i = a.Length * Vector<ulong>.Count; i < theirs.Length; i++)
            mine[i] &= theirs[i];
        // Words the other set does not have are zero there.
        _words.AsSpan(theirs.Length).Clear();
    }

    public void Or(BitSet other)
    {
        var length = Math.Min(other._words.Length, _words.Length);
        var mine = _words.AsSpan(0, length);
        var theirs = other._words.AsSpan(0, length);
        var a = MemoryMarshal.Cast<ulong, Vector<ulong>>(mine);
        var b = MemoryMarshal.Cast<ulong, Vector<ulong>>(theirs);
        for (var i = 0; i < a.Length; i++)
            a[i] |= b[i];
        for (var i = a.Length * Vector<ulong>.Count; i < theirs.Length; i++)
            mine[i] |= theirs[i];
    }

    public void AndNot(BitSet other)
    {
        var length = Math.Min(other._words.Length, _words.Length);
        var mine = _words.AsSpan(0, length);
        var theirs = other._words.AsSpan(0, length);
        var a = MemoryMarshal.Cast<ulong, Vector<ulong>>(mine);
        var b = MemoryMarshal.Cast<ulong, Vector<ulong>>(theirs);
        for (var i = 0; i < a.Length; i++)
            a[i] &= ~b[i];
        for (var i = a.Length * Vector<ulong>.Count; i < theirs.Length; i++)
            mine[i] &= ~theirs[i];
    }

    public int Count()
    {
        var count = 0;
        foreach (var word in _words)
            count += BitOperations.PopCount(word);
        return count;
    }

    /// <summary>The set ordinals in ascending order, stopping after <paramref name="limit"/>.</summary>
    public IEnumerable<int> Ordinals(int limit = int.MaxValue)
    {
        var taken = 0;
        for (var w = 0; w < _words.Length; w++)
        {
            var word = _words[w];
            while (word != 0)
            {
                if (taken++ >= limit)
                    yield break;
                yield return (w << 6) + BitOperations.TrailingZeroCount(word);
                word &= word - 1;
            }
        }
    }
}
