namespace Beacon.Router.Rules;

/// <summary>A rule set that cannot take effect, with the reason (the admin API answers 400 with it).</summary>
public sealed class RuleValidationException : Exception
{
    public RuleValidationException()
    {
    }

    public RuleValidationException(string message)
        : base(message)
    {
    }

    public RuleValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
