using System.Text;
using Sesemi.Gateway.Platforms;
using Sesemi.Platform.Local.Scheduling;

namespace Sesemi.Platform.Local.Tests.Scheduling;

/// <summary>What an instance's answer to <c>/run</c> becomes (OpenWhisk's <c>processRunResponseContent</c>, serverless-platforms.md §1.3).</summary>
public sealed class ActivationResultsTests
{
    [Theory]
    [InlineData(200, """{"a":1}""", InvocationStatus.Success, """{"a":1}""")]
    [InlineData(200, """{"error":"no"}""", InvocationStatus.ApplicationError, """{"error":"no"}""")]
    [InlineData(200, """{"error":{"code":7},"more":1}""", InvocationStatus.ApplicationError, """{"error":{"code":7},"more":1}""")]
    [InlineData(200, "not json", InvocationStatus.DeveloperError, """{"error":"The action did not produce a valid JSON object response."}""")]
    [InlineData(200, "[1,2]", InvocationStatus.DeveloperError, """{"error":"The action did not produce a valid JSON object response."}""")]
    [InlineData(200, "\"text\"", InvocationStatus.DeveloperError, """{"error":"The action did not produce a valid JSON object response."}""")]
    [InlineData(200, "", InvocationStatus.DeveloperError, """{"error":"The action did not produce a valid JSON object response."}""")]
    [InlineData(502, """{"error":"runtime.internal: boom"}""", InvocationStatus.DeveloperError, """{"error":"runtime.internal: boom"}""")]
    [InlineData(404, """{"reason":"x"}""", InvocationStatus.DeveloperError, """{"error":{"reason":"x"}}""")]
    [InlineData(500, "oops", InvocationStatus.DeveloperError, """{"error":"The action did not produce a valid JSON response (HTTP 500)."}""")]
    public void Classify_FollowsOpenWhisk(int status, string body, InvocationStatus expected, string result)
    {
        var (actual, bytes) = ActivationResults.Classify(status, Encoding.UTF8.GetBytes(body));

        Assert.Equal(expected, actual);
        Assert.Equal(result, Encoding.UTF8.GetString(bytes.Span));
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("{}", null)]
    [InlineData("""{"a":[1,{"b":null}]}""", null)]
    [InlineData("[1]", "The request content was malformed: the parameters must be a JSON object.")]
    [InlineData("42", "The request content was malformed: the parameters must be a JSON object.")]
    [InlineData("{} {}", "The request content was malformed: the parameters are not valid JSON.")]
    [InlineData("{", "The request content was malformed: the parameters are not valid JSON.")]
    [InlineData("{'a':1}", "The request content was malformed: the parameters are not valid JSON.")]
    public void CheckParameters_AcceptsOnlyOneJsonObject(string parameters, string? problem) =>
        Assert.Equal(problem, ActivationResults.CheckParameters(Encoding.UTF8.GetBytes(parameters)));

    [Fact]
    public void Messages_AreOpenWhisks()
    {
        Assert.Equal("Too many concurrent requests in flight (count: 5, allowed: 4).", ActivationResults.TooManyConcurrent(5, 4));
        Assert.Equal("The action exceeded its time limits of 60000 milliseconds.", ActivationResults.TimedOut(TimeSpan.FromMinutes(1)));
        Assert.Equal("""{"error":"quote \u0022 and \u00FC"}""", Encoding.UTF8.GetString(ActivationResults.Error("quote \" and ü")));
    }
}
