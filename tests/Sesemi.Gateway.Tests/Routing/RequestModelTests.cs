using System.Text;
using Sesemi.Gateway.Routing;

namespace Sesemi.Gateway.Tests.Routing;

public sealed class RequestModelTests
{
    [Theory]
    [InlineData("""{"user":"u","model":"owner/m","input":"AAAA"}""", "owner/m")]
    [InlineData("""{"input":{"nested":["model",{"model":"x"}]},"model":"m"}""", "m")]
    [InlineData("""  {"model":"m"}  """, "m")]
    public void TryRead_FindsTheTopLevelModel(string json, string expected) =>
        Assert.Equal(expected, RequestModel.TryRead(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("""{"user":"u"}""")]
    [InlineData("""{"model":null}""")]
    [InlineData("""{"model":""}""")]
    [InlineData("""{"model":"a","model":"b"}""")]
    [InlineData("""{"model":"a\u0001"}""")]
    [InlineData("""{"model":"m"} {}""")]
    [InlineData("""{"model":"m",""")]
    public void TryRead_RejectsRequestsWithoutOneValidModel(string json) =>
        Assert.Null(RequestModel.TryRead(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void TryRead_RejectsOverlongModels()
    {
        Assert.NotNull(RequestModel.TryRead(Encoding.UTF8.GetBytes($$"""{"model":"{{new string('m', 256)}}"}""")));
        Assert.Null(RequestModel.TryRead(Encoding.UTF8.GetBytes($$"""{"model":"{{new string('m', 257)}}"}""")));
    }
}
