// Files that appear only when complete: the one way SharpLens writes a file that another process may read.
using System.Text;

namespace SharpLens.Reports;

/// <summary>Files that appear only when complete: written to a temporary name in the same folder, then renamed.</summary>
public static class AtomicFile
{
    public static void Write(string path, Action<FileStream> write)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        System.IO.Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write)) { write(fs); fs.Flush(true); }
            File.Move(tmp, path, overwrite: true);
        }
        finally { if (File.Exists(tmp)) File.Delete(tmp); }
    }

    public static void WriteText(string path, string text) => Write(path, fs => fs.Write(Encoding.UTF8.GetBytes(text)));
}
