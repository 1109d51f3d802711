using System.Runtime.CompilerServices;

// The browser tests reuse PondServer and TestDatabase rather than keep a second copy of them.
// An attribute in its own file, not an item in the project file, so it never collides with others' project edits.
[assembly: InternalsVisibleTo("Pond.Browser.Tests")]
