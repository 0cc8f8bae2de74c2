using System.Diagnostics;
using System.Globalization;
using System.Text;
using Chorus.Exposition;
using FsCheck.Xunit;

namespace Chorus.Tests.Exposition;

public class GoFloatTests
{
    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(0.0, "0.0")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(0.005, "0.005")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(123456.0, "123456.0")]
    [InlineData(1e6, "1e+06")]
    [InlineData(1234567.5, "1.2345675e+06")]
    [InlineData(1000000020.75, "1.00000002075e+09")]
    [InlineData(1e10, "1e+10")]
    [InlineData(2.5e11, "2.5e+11")]
    [InlineData(2.00005800000026e16, "2.00005800000026e+16")]
    [InlineData(1e21, "1e+21")]
    [InlineData(-1234567.0, "-1234567.0")]
    [InlineData(-1e21, "-1e+21")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(1.7976931348623157e308, "1.7976931348623157e+308")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(53.702999999999996, "53.702999999999996")]
    public void Format_SpellsAsPrometheusClient(double value, string expected)
    {
        Assert.Equal(expected, GoFloat.ToString(value));
    }

    [Theory]
    [InlineData("+Inf", double.PositiveInfinity)]
    [InlineData("inf", double.PositiveInfinity)]
    [InlineData("-Infinity", double.NegativeInfinity)]
    [InlineData("1e+010", 1e10)]
    [InlineData(" 0.25 ", 0.25)]
    [InlineData("-100.0", -100.0)]
    public void TryParse_AcceptsPythonFloatSpellings(string text, double expected)
    {
        Assert.True(GoFloat.TryParse(text, out double value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("lots")]
    [InlineData("1,5")]
    [InlineData("Infinit")]
    public void TryParse_RejectsNonNumbers(string text)
    {
        Assert.False(GoFloat.TryParse(text, out _));
    }

    [Property(MaxTest = 500)]
    public bool Format_RoundTripsEveryFiniteDouble(long bits)
    {
        double value = BitConverter.Int64BitsToDouble(bits);
        if (!double.IsFinite(value))
        {
            return true;
        }

        string text = GoFloat.ToString(value);
        return GoFloat.TryParse(text, out double parsed) && BitConverter.DoubleToInt64Bits(parsed) == BitConverter.DoubleToInt64Bits(value);
    }

    [Fact]
    public void Format_MatchesPythonFloatToGoString()
    {
        // Differential against the real prometheus_client (Debian's 0.16): the only spelling difference is
        // 0.16's leading exponent zero for >= 1e10 ("1e+010"), which the newest version dropped.
        var random = new Random(42);
        var values = new List<double> { 1e10, 1e15, 9.999999e15, 1e16, 123456789.0, 1e-4, 1e-5, 0.1, -0.0, 5e-324, double.MaxValue, double.Epsilon * 3 };
        for (int i = 0; i < 3000; i++)
        {
            double v = i % 3 == 0
                ? BitConverter.Int64BitsToDouble(random.NextInt64())
                : Math.Round(random.NextDouble() * Math.Pow(10, random.Next(-8, 20)), random.Next(0, 6)) * (random.Next(2) == 0 ? 1 : -1);
            if (double.IsFinite(v))
            {
                values.Add(v);
            }
        }

        string input = string.Join("\n", values.Select(v => BitConverter.DoubleToInt64Bits(v).ToString(CultureInfo.InvariantCulture)));
        string[] python = RunPython(
            "import sys, struct\nfrom prometheus_client.utils import floatToGoString\n" +
            "for line in sys.stdin.read().split():\n" +
            "    print(floatToGoString(struct.unpack('<d', struct.pack('<q', int(line)))[0]))\n",
            input);

        Assert.Equal(values.Count, python.Length);
        for (int i = 0; i < values.Count; i++)
        {
            string expected = System.Text.RegularExpressions.Regex.Replace(python[i], "e\\+0(\\d\\d)$", "e+$1");
            Assert.True(expected == GoFloat.ToString(values[i]), $"{values[i]:R}: python {python[i]}, chorus {GoFloat.ToString(values[i])}");
        }
    }

    internal static string[] RunPython(string script, string stdin)
    {
        var start = new ProcessStartInfo("/usr/bin/python3", ["-c", script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
        };
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("python3 did not start");
        process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "python3 did not finish in 60 s");
        Assert.True(process.ExitCode == 0, $"python3 failed: {error.Result}");
        return output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
