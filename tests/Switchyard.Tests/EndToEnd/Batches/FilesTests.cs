using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using OpenAI.Files;

namespace Switchyard.Tests.EndToEnd.Batches;

/// <summary>
/// <c>/v1/files</c> through the official SDK's <see cref="OpenAIFileClient"/> against the strict fake: the upload is
/// checked and its model rewritten on the way, the client sees only gateway ids, every call is scoped to the key that
/// uploaded, the size limit answers 413 in OpenAI's shape before anything reaches the provider.
/// </summary>
public sealed class FilesTests
{
    [Fact]
    public async Task Upload_ViaSdk_ModelRewritten_RetrieveListDownloadDelete()
    {
        await using var g = await BatchGateway.StartAsync();
        var client = g.Files();

        var file = await g.UploadAsync(BatchGateway.Jsonl(2));

        Assert.StartsWith("file-", file.Id, StringComparison.Ordinal);
        Assert.DoesNotContain("file-up", file.Id, StringComparison.Ordinal); // never the provider's id
        Assert.Equal((FilePurpose.Batch, "input.jsonl"), (file.Purpose, file.Filename));
        var sent = Encoding.UTF8.GetString(g.Fake.Content("file-up1"));
        Assert.Equal(BatchGateway.Jsonl(2, model: "gpt-4o-mini"), sent); // each line's alias replaced by the deployment's model, nothing else
        Assert.Equal(sent.Length, file.SizeInBytes);

        var again = (await client.GetFileAsync(file.Id)).Value;
        Assert.Equal((file.Id, file.SizeInBytes), (again.Id, again.SizeInBytes));
        var listed = (await client.GetFilesAsync(FilePurpose.Batch)).Value;
        Assert.Equal([file.Id], listed.Select(f => f.Id));
        Assert.Empty((await client.GetFilesAsync(FilePurpose.FineTune)).Value);
        Assert.Equal(sent, (await client.DownloadFileAsync(file.Id)).Value.ToString());

        var deleted = (await client.DeleteFileAsync(file.Id)).Value;
        Assert.True(deleted.Deleted);
        Assert.Equal(file.Id, deleted.FileId);
        var gone = await Assert.ThrowsAsync<ClientResultException>(() => client.GetFileAsync(file.Id));
        Assert.Equal(404, gone.Status);
        Assert.Contains("DELETE /v1/files/file-up1", g.Fake.Requests);
    }

    [Fact]
    public async Task AnotherKey_Gets404_AndAnEmptyList()
    {
        await using var g = await BatchGateway.StartAsync();
        var file = await g.UploadAsync(BatchGateway.Jsonl(1));
        var other = g.Files(GatewayHarness.OperatorKey);

        var get = await Assert.ThrowsAsync<ClientResultException>(() => other.GetFileAsync(file.Id));
        var content = await Assert.ThrowsAsync<ClientResultException>(() => other.DownloadFileAsync(file.Id));
        var delete = await Assert.ThrowsAsync<ClientResultException>(() => other.DeleteFileAsync(file.Id));

        Assert.Equal((404, 404, 404), (get.Status, content.Status, delete.Status));
        var body = JsonNode.Parse(get.GetRawResponse()!.Content.ToString())!;
        Assert.Equal(($"No such File object: {file.Id}", "invalid_request_error"), (body["error"]!["message"]!.GetValue<string>(), body["error"]!["type"]!.GetValue<string>()));
        Assert.Empty((await other.GetFilesAsync()).Value);
        Assert.Single((await g.Files().GetFilesAsync()).Value); // still there for its owner
    }

    [Fact]
    public async Task OverTheFileLimit_413InOpenAIShape_NothingSent()
    {
        await using var g = await BatchGateway.StartAsync();
        var big = BatchGateway.Jsonl(600); // about 100 KiB, over the 64 KiB limit
        Assert.True(Encoding.UTF8.GetByteCount(big) > BatchGateway.FileLimit);

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => g.UploadAsync(big));

        Assert.Equal(413, refused.Status);
        var error = JsonNode.Parse(refused.GetRawResponse()!.Content.ToString())!["error"]!;
        Assert.Equal("request_too_large", error["code"]!.GetValue<string>());
        Assert.DoesNotContain(g.Fake.Requests, r => r.StartsWith("POST", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"cheap\"}}\n{\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"cheap\"}}\n", "Line 2 has no 'custom_id'.")]
    [InlineData("{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"cheap\"}}\n{\"custom_id\":\"b\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"chat-only\"}}\n", "Line 2: 'body.model' is 'chat-only', but line 1 names 'cheap'")]
    [InlineData("{\"custom_id\":\"a\",\"method\":\"GET\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"cheap\"}}\n", "Line 1: 'method' must be \"POST\".")]
    [InlineData("{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"cheap\"}}\nnot json\n", "Line 2 is not valid JSON")]
    [InlineData("{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"chat-only\"}}\n", "No deployment of 'chat-only' serves batches")]
    [InlineData("{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"nope\"}}\n", "Line 1: The model 'nope' does not exist")]
    [InlineData("{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"extra\":1,\"body\":{\"model\":\"cheap\"}}\n", "Line 1 has an unknown field 'extra'")]
    public async Task BadBatchInput_RefusedNamingTheLine_NothingSent(string jsonl, string expected)
    {
        await using var g = await BatchGateway.StartAsync();

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => g.UploadAsync(jsonl));

        Assert.Contains(refused.Status, new[] { 400, 404 });
        Assert.Contains(expected, JsonNode.Parse(refused.GetRawResponse()!.Content.ToString())!["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(g.Fake.Requests);
    }

    [Fact]
    public async Task OtherPurpose_NeedsTheModelHeader_ThenGoesToItsDeployment()
    {
        await using var g = await BatchGateway.StartAsync();

        using var without = await g.H.SendAsync(Upload(g, "user_data", null));
        using var with = await g.H.SendAsync(Upload(g, "user_data", "cheap"));

        Assert.Equal(HttpStatusCode.BadRequest, without.StatusCode);
        Assert.Contains("x-switchyard-model", await without.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, with.StatusCode);
        var file = JsonNode.Parse(await with.Content.ReadAsStringAsync())!;
        Assert.Equal("user_data", file["purpose"]!.GetValue<string>());
        Assert.Equal("notes, not a batch", Encoding.UTF8.GetString(g.Fake.Content("file-up1")));
    }

    private static HttpRequestMessage Upload(BatchGateway g, string purpose, string? model)
    {
        var form = new MultipartFormDataContent { { new StringContent(purpose), "purpose" } };
        form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes("notes, not a batch")), "file", "notes.txt");
        var request = new HttpRequestMessage(HttpMethod.Post, g.H.Url("/v1/files")) { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GatewayHarness.ClientKey);
        if (model is not null)
        {
            request.Headers.Add("x-switchyard-model", model);
        }

        return request;
    }
}
