// A minimal API whose ASP.NET Core and Kestrel metrics (System.Diagnostics.Metrics) are recorded by Chorus.
// With PROMETHEUS_MULTIPROC_DIR set, every instance writes into that directory and any of them serves the
// merged /metrics; without it, each serves its own.
//
//   PROMETHEUS_MULTIPROC_DIR=/tmp/m dotnet run --project samples/aspnetcore-app -c Release -- --urls http://127.0.0.1:5080
using Chorus.AspNetCore;

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
builder.Services.AddChorus(options => options.AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel"));

WebApplication app = builder.Build();
app.MapGet("/hello", () => "Hello from Chorus\n");
app.MapChorusMetrics();
app.Run();
