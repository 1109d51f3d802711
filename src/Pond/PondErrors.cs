namespace Pond;

/// <summary>Bad input from a caller: becomes a 400 problem whose detail says what to fix.</summary>
public sealed class ValidationFailedException(string message, string? field = null) : Exception(message)
{
    public string? Field { get; } = field;
}

/// <summary>The thing asked for does not exist in the caller's workspace: becomes a 404.</summary>
public sealed class NotFoundException(string message) : Exception(message);

/// <summary>The request clashes with what is already stored (a duplicate, a stale state): becomes a 409.</summary>
public sealed class ConflictException(string message) : Exception(message);
