using BenchmarkDotNet.Attributes;
using Switchyard.Cache;
using Switchyard.Canonical;

namespace Switchyard.Benchmarks;

/// <summary>
/// The semantic cache's brute-force scan (<see cref="SemanticIndex.Find"/>): one lookup in a full partition of
/// random unit vectors of 1,536 floats (OpenAI <c>text-embedding-3-small</c>), at the default <c>max_entries</c>
/// (1,000) and the largest allowed (10,000). No entry reaches the threshold, so every vector is compared.
/// </summary>
[MemoryDiagnoser]
public class SemanticIndexBenchmarks
{
    private const int Dimensions = 1536;

    private SemanticIndex index = null!;
    private float[] query = [];
    private PromptSignature signature = null!;

    /// <summary>Entries in the partition.</summary>
    [Params(1000, 10_000)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        index = new SemanticIndex(TimeProvider.System);
        signature = PromptGuards.Signature("write one sentence about the sea");
        var deployment = DeploymentTarget.Create(new DeploymentConfig("d", new ProviderConfig("p", "openai-compatible", "openai-compatible", new Uri("http://127.0.0.1:1"), null, [], Timeouts.Default), "m", Timeouts.Default));
        var answer = new CachedAnswer([StreamEvent.TextChunk("x")], "m", default, deployment, 100);
        for (var i = 0; i < Entries; i++)
        {
            index.Add("partition", Unit(random), signature, answer, TimeSpan.FromHours(1), Entries, Entries);
        }

        query = Unit(random);
    }

    [Benchmark(Description = "semantic index: scan a full partition (1,536 dims)")]
    public SemanticMatch? Scan() => index.Find("partition", query, signature, 0.95f);

    private static float[] Unit(Random random)
    {
        var vector = new float[Dimensions];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = (float)(random.NextDouble() * 2 - 1);
        }

        System.Numerics.Tensors.TensorPrimitives.Divide(vector, System.Numerics.Tensors.TensorPrimitives.Norm(vector), vector);
        return vector;
    }
}
