using System.Buffers;
using System.IO.Pipelines;
using Chorus.AspNetCore.Buffers;
using Microsoft.AspNetCore.Http;

namespace Chorus.AspNetCore.Http;

/// <summary>
/// Writes a scrape's body into the server's response a bounded piece at a time, without copying the whole body into one
/// array first: the gzip members as they are kept, or the exposition's parts where they are.
/// </summary>
internal static class ResponseBodyWriter
{
    /// <summary>The most body bytes handed to the server before they are flushed to the connection.</summary>
    internal const int FlushBytes = 256 * 1024;

    /// <summary>Writes the body: the gzip members when compressed, else the exposition's parts, flushed every <see cref="FlushBytes"/>.</summary>
    public static async Task WriteAsync(HttpContext context, SegmentedBody payload, GzipBody? compressed)
    {
        PipeWriter body = context.Response.BodyWriter;
        int unflushed = 0;
        if (compressed is { Members: var members })
        {
            // The members go straight into Kestrel's buffers (no copy of the body into one array first), flushed every
            // FlushBytes: Kestrel's pool keeps every block a response was buffered in, so a big host's whole body
            // written before one flush stayed in the process as thousands of 4 KiB blocks.
            foreach (ReadOnlyMemory<byte> member in members)
            {
                body.Write(member.Span);
                unflushed += member.Length;
                if (unflushed >= FlushBytes)
                {
                    await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                    unflushed = 0;
                }
            }
        }
        else
        {
            // A big host's body is its families' kept renderings, sent where they are (no copy of the whole body).
            foreach ((ReadOnlyMemory<byte> part, _) in payload.Parts())
            {
                for (int start = 0; start < part.Length;)
                {
                    int take = Math.Min(FlushBytes - unflushed, part.Length - start);
                    body.Write(part.Span.Slice(start, take));
                    start += take;
                    unflushed += take;
                    if (unflushed >= FlushBytes)
                    {
                        await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                        unflushed = 0;
                    }
                }
            }
        }

        await body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
