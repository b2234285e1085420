using System.Text;

namespace Beacon.Parser.Decoding;

/// <summary>The limit of each parameter: <see cref="ParserOptions.MaxValueBytes"/> unless <see cref="ParserOptions.Fields"/> names it.</summary>
internal sealed class FieldLimits
{
    private readonly int _default;
    private readonly (byte[] Name, int MaxBytes, bool Truncate)[] _fields;

    public FieldLimits(ParserOptions options)
    {
        _default = options.MaxValueBytes;
        _fields = [.. options.Fields.Select(f => (Encoding.UTF8.GetBytes(f.Key), f.Value.MaxBytes > 0 ? f.Value.MaxBytes : options.MaxValueBytes, f.Value.Truncate))];
    }

    /// <summary>Whether any parameter has a limit of its own; when none has, only values over <see cref="Default"/> need a look.</summary>
    public bool Configured => _fields.Length > 0;

    public int Default => _default;

    public (int MaxBytes, bool Truncate) For(ReadOnlySpan<byte> name)
    {
        foreach (var field in _fields)
        {
            if (name.SequenceEqual(field.Name))
            {
                return (field.MaxBytes, field.Truncate);
            }
        }

        return (_default, false);
    }
}
