using System.Text;
using Microsoft.AspNetCore.Http;
using Switchyard.Governance;
using Switchyard.Ingress;

namespace Switchyard.Tests.Ingress;

/// <summary>
/// <see cref="UploadReader"/>: a multipart upload's fields in memory, its files spooled to disk byte for byte, the
/// limit enforced while reading (413, the spool deleted), and malformed bodies refused; and what an upload reserves in
/// a budget (<see cref="BudgetEstimate.MediaMicros"/>).
/// </summary>
public sealed class UploadReaderTests
{
    private const string Boundary = "----switchyard-test";

    private static HttpRequest Request(byte[] body, string contentType = "multipart/form-data; boundary=" + Boundary)
    {
        var http = new DefaultHttpContext();
        http.Request.ContentType = contentType;
        http.Request.Body = new MemoryStream(body);
        return http.Request;
    }

    private static byte[] Multipart(byte[] file, params (string Name, string Value)[] fields)
    {
        var text = new StringBuilder();
        foreach (var (name, value) in fields)
        {
            text.Append($"--{Boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n");
        }

        text.Append($"--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\n");
        return [.. Encoding.UTF8.GetBytes(text.ToString()), .. file, .. Encoding.UTF8.GetBytes($"\r\n--{Boundary}--\r\n")];
    }

    [Fact]
    public async Task ReadAsync_FieldsAndFile_FileSpooledByteForByte()
    {
        var audio = Enumerable.Range(0, 200_000).Select(i => (byte)(i % 251)).ToArray();

        var (form, error) = await UploadReader.ReadAsync(Request(Multipart(audio, ("model", "whisper-1"), ("language", "en"))), 1 << 20, default);

        Assert.Null(error);
        using (form)
        {
            Assert.Equal([new("model", "whisper-1"), new("language", "en")], form!.Fields);
            var file = Assert.Single(form.Files);
            Assert.Equal(("file", "a.wav", "audio/wav", 200_000L), (file.Name, file.FileName, file.ContentType, file.Length));
            Assert.Equal(audio, await File.ReadAllBytesAsync(file.Path));
            Assert.Equal("""{"model":"whisper-1","language":"en"}""", Encoding.UTF8.GetString(form.HeadJson()));
            form.Dispose();
            Assert.False(File.Exists(file.Path)); // Settle's dispose deletes the spool
        }
    }

    [Fact]
    public async Task ReadAsync_OverTheLimit_413()
    {
        var (form, error) = await UploadReader.ReadAsync(Request(Multipart(new byte[5000], ("model", "m"))), 4096, default);

        Assert.Null(form);
        Assert.Equal((413, "request_too_large"), (error!.Value.Status, error.Value.Code));
    }

    [Fact]
    public async Task ReadAsync_NoBoundary_400()
    {
        var (form, error) = await UploadReader.ReadAsync(Request([1, 2, 3], "multipart/form-data"), 4096, default);

        Assert.Null(form);
        Assert.Equal((400, "invalid_request_body"), (error!.Value.Status, error.Value.Code));
    }

    [Fact]
    public async Task ReadAsync_FieldTooLong_400NamingIt()
    {
        var (_, error) = await UploadReader.ReadAsync(Request(Multipart([1], ("prompt", new string('x', UploadReader.MaxFieldBytes + 1)))), 1 << 20, default);

        Assert.Equal((400, "prompt"), (error!.Value.Status, error.Value.Param));
    }

    [Fact]
    public void MediaMicros_ImagesAtTheirRate_ElseTheDearest_CharactersAndSearchUnits()
    {
        var price = new Price(0, 0) { PerImage = 0.04m, PerImageBy = new Dictionary<string, decimal> { ["1024x1024/hd"] = 0.08m, ["1792x1024"] = 0.12m }, PerMillionCharacters = 15, PerSearchUnit = 0.002m };

        Assert.Equal(160_000, BudgetEstimate.MediaMicros(price, new MediaAsk(Images: 2, Size: "1024x1024", Quality: "hd")));
        Assert.Equal(40_000, BudgetEstimate.MediaMicros(price, new MediaAsk(Images: 1, Size: "512x512")));
        Assert.Equal(150, BudgetEstimate.MediaMicros(price, new MediaAsk(Characters: 10)));
        Assert.Equal(4_000, BudgetEstimate.MediaMicros(price, new MediaAsk(Documents: 101))); // two search units
        Assert.Equal(0, BudgetEstimate.MediaMicros(price, null));
    }
}
