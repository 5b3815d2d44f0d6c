using Switchyard.Guardrails;

namespace Switchyard.Tests.Guardrails;

/// <summary>The built-in detectors: what they find, and the checksums that keep look-alikes out.</summary>
public sealed class DetectorsTests
{
    private static readonly GuardRule Pii = new("p/pii", GuardRuleKind.Pii, GuardAction.Redact) { MaxMatch = Detectors.MaxPiiMatch };
    private static readonly GuardRule Secrets = new("p/secrets", GuardRuleKind.Secrets, GuardAction.Block) { MaxMatch = Detectors.MaxSecretMatch };

    private static List<(string Label, string Text)> Find(GuardRule rule, string text) =>
        Scanner.Scan([rule], text, null).Select(f => (f.Label, text.Substring(f.Start, f.Length))).ToList();

    [Theory]
    [InlineData("mail jane.doe+news@mail.example.co.uk now", "EMAIL", "jane.doe+news@mail.example.co.uk")]
    [InlineData("card 4111 1111 1111 1111 ok", "CARD", "4111 1111 1111 1111")]
    [InlineData("card 4111-1111-1111-1111.", "CARD", "4111-1111-1111-1111")]
    [InlineData("amex 378282246310005", "CARD", "378282246310005")]
    [InlineData("iban GB82 WEST 1234 5698 7654 32 please", "IBAN", "GB82 WEST 1234 5698 7654 32")]
    [InlineData("iban DE89370400440532013000", "IBAN", "DE89370400440532013000")]
    [InlineData("ssn 123-45-6789.", "US_SSN", "123-45-6789")]
    [InlineData("nino AB 12 34 56 C", "UK_NINO", "AB 12 34 56 C")]
    [InlineData("call +44 20 7946 0958 now", "PHONE", "+44 20 7946 0958")]
    [InlineData("call (415) 555-2671 now", "PHONE", "(415) 555-2671")]
    public void Pii_FindsEachKind(string text, string label, string value)
    {
        Assert.Equal([(label, value)], Find(Pii, text));
    }

    [Theory]
    [InlineData("card 4111 1111 1111 1112", PiiKinds.Card)]         // Luhn fails
    [InlineData("iban GB82 WEST 1234 5698 7654 33", PiiKinds.Iban)] // mod-97 fails
    [InlineData("ssn 000-45-6789 and 666-12-3456", PiiKinds.UsSsn)] // never issued
    [InlineData("nino GB 12 34 56 C", PiiKinds.UkNino)]             // a prefix HMRC never uses
    [InlineData("on 2024-01-15 at 10:30", PiiKinds.All)]            // a date is not a phone number
    [InlineData("no at sign here: jane.example.com", PiiKinds.All)]
    public void Pii_LookAlikes_AreNotFound(string text, PiiKinds kinds)
    {
        Assert.Empty(Find(Pii with { Pii = kinds }, text));
    }

    [Theory]
    [InlineData("key sk-proj-Abc123Def456Ghi789Jkl012Mno345 here")]
    [InlineData("AKIAIOSFODNN7EXAMPLE")]
    [InlineData("token ghp_0123456789abcdefghijABCDEFGHIJ012345 x")]
    [InlineData("slack xoxb-123456789012-abcdefABCDEF")]
    [InlineData("random Zx8Qp2Lm9Vb4Nc7Rt1Yw6Ks3Hd5Jf0Ga")] // no known prefix: entropy
    public void Secrets_ByPrefixOrEntropy(string text)
    {
        Assert.Single(Find(Secrets, text));
    }

    [Theory]
    [InlineData("internationalization_and_localization_guide")] // long, but a phrase: low entropy, no digits
    [InlineData("see https://example.com/docs/getting-started")]
    public void Secrets_OrdinaryTextIsNot(string text)
    {
        Assert.Empty(Find(Secrets, text));
    }

    [Fact]
    public void Pii_HostilePrompt_IsScannedInBoundedTime()
    {
        // Patterns with bounded quantifiers and no nesting: a megabyte of near-misses is read in linear time (the match
        // timeout, 250 ms per pattern, would fail the scan closed rather than stall; it is not hit here).
        var hostile = string.Concat(Enumerable.Repeat("a.b-c_d@", 60_000)) + string.Concat(Enumerable.Repeat("1 2 3 4 5 ", 60_000));

        var found = Scanner.Scan([Pii, Secrets], hostile, null);

        Assert.DoesNotContain(found, f => f.Label == Placeholders.TimedOut);
    }

    [Fact]
    public void Checksums_LuhnAndIban()
    {
        Assert.True(Checksums.Luhn("4012888888881881"));
        Assert.False(Checksums.Luhn("4012888888881882"));
        Assert.True(Checksums.Iban("FR1420041010050500013M02606"));
        Assert.False(Checksums.Iban("FR1420041010050500013M02607"));
    }
}
