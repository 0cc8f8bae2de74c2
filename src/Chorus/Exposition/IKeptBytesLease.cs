namespace Chorus.Exposition;

/// <summary>A writer's promise not to change bytes handed to <see cref="IKeptBytesOutput.WriteKept"/>, until released.</summary>
internal interface IKeptBytesLease
{
    /// <summary>The output no longer reads the bytes.</summary>
    void Release();
}
