namespace Switchyard.Configuration;

/// <summary>
/// Rules for provider, deployment and alias names. Aliases are what clients put in <c>model</c>, so they
/// must admit the shapes people already use (<c>groq/llama-3.3-70b</c>, <c>gpt-4o</c>,
/// <c>deepseek-r1:free</c>) but nothing that would need escaping in logs, headers or metrics.
/// </summary>
internal static class ConfigNames
{
    public const int MaxLength = 200;

    public static bool IsValid(string name)
    {
        if (name.Length is 0 or > MaxLength || !char.IsAsciiLetterOrDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('/' or '.' or ':' or '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }
}
