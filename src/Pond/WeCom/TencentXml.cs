using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Pond.WeCom;

/// <summary>
/// The flat &lt;xml&gt; documents WeCom and the WeChat official account post, read safely: no DTDs, no
/// external entities, bounded size.
/// </summary>
internal static class TencentXml
{
    public const int MaxCharacters = 64 * 1024;

    public static XElement Load(string xml)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = MaxCharacters };
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), settings);
            var root = XElement.Load(reader);
            return root.Name.LocalName == "xml" ? root : throw new CallbackRejectedException("The callback's root element is not <xml>.");
        }
        catch (XmlException e)
        {
            throw new CallbackRejectedException($"The callback is not well-formed XML: {e.Message}");
        }
    }

    public static string? Field(XElement root, string name) => root.Element(name)?.Value.Trim();

    public static int? Number(XElement root, string name) =>
        int.TryParse(Field(root, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null;

    public static DateTimeOffset Time(XElement root) =>
        DateTimeOffset.FromUnixTimeSeconds(long.TryParse(Field(root, "CreateTime"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) ? seconds : 0);
}
