namespace Switchyard.Guardrails;

/// <summary>
/// The checks that turn a pattern's candidate into a finding: a 16-digit number is a card only if its Luhn digit
/// holds (ISO/IEC 7812-1 Annex B), a country code and digits are an IBAN only if mod-97 gives 1 (ISO 13616-1, ISO 7064),
/// a run of digits is a phone number only with 10 to 15 digits (8 to 15 after a <c>+</c>, ITU-T E.164's maximum).
/// </summary>
internal static class Checksums
{
    /// <summary>Luhn over the digits of <paramref name="candidate"/> (separators skipped).</summary>
    public static bool Luhn(ReadOnlySpan<char> candidate)
    {
        var sum = 0;
        var digits = 0;
        for (var i = candidate.Length - 1; i >= 0; i--)
        {
            if (!char.IsAsciiDigit(candidate[i]))
            {
                continue;
            }

            var d = candidate[i] - '0';
            if (digits++ % 2 == 1)
            {
                d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            }

            sum += d;
        }

        return digits is >= 13 and <= 19 && sum % 10 == 0;
    }

    /// <summary>ISO 13616 mod-97: the first four characters moved to the end, letters as 10..35, the number mod 97 must be 1.</summary>
    public static bool Iban(ReadOnlySpan<char> candidate)
    {
        Span<char> compact = stackalloc char[40];
        var n = 0;
        foreach (var c in candidate)
        {
            if (c != ' ')
            {
                if (n == compact.Length)
                {
                    return false;
                }

                compact[n++] = c;
            }
        }

        if (n is < 15 or > 34)
        {
            return false;
        }

        var remainder = 0;
        for (var i = 0; i < n; i++)
        {
            var c = compact[(i + 4) % n];
            remainder = char.IsAsciiDigit(c) ? (remainder * 10 + (c - '0')) % 97 : (remainder * 100 + (c - 'A' + 10)) % 97;
        }

        return remainder == 1;
    }

    /// <summary>A phone number's digit count: 10 to 15, or 8 to 15 when it starts with <c>+</c>.</summary>
    public static bool PhoneDigits(ReadOnlySpan<char> candidate)
    {
        var digits = 0;
        foreach (var c in candidate)
        {
            digits += char.IsAsciiDigit(c) ? 1 : 0;
        }

        return digits <= 15 && digits >= (candidate.Length > 0 && candidate[0] == '+' ? 8 : 10);
    }
}
