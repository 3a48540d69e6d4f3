// DirectProbe's greedy merge loop: the published one (every separability test an SVM solve) or the same decisions with exact shortcuts.
using System.Diagnostics;
using static TorchSharp.torch;

namespace SharpLens.Analysis.Probes;

/// <summary>
/// The merge loop of <see cref="DirectProbe"/>. Pairs of same-label clusters come out of a priority queue by centroid
/// distance; a pair merges when the union is linearly separable from every active cluster of another label.
/// Published (<see cref="DirectProbeOptions.Shortcuts"/> off): every such test is a <see cref="LinearSvm"/> solve,
/// nearest other cluster first, stopping at the first failure. With shortcuts the accept/reject decision of every
/// dequeued pair is the same whenever the SVM answers exactly, and far fewer SVMs are solved:
/// 1. inherited rejection — if A∪B was once not separable from C, any later A'⊇A, B'⊇B stays not separable from the
///    cluster C' ⊇ C (clusters only grow), so the pair of their current clusters is rejected without a solve;
/// 2. centroid certificate — project the union U and C on μ_C − μ_U; if U's largest projection is below C's smallest
///    the sets are separable. Projections come from M[p, cluster] = Σ_{q ∈ cluster} x_p·x_q (a Gram matrix whose
///    columns are summed at every merge), so the test costs O(|U| + |C|), not O((|U| + |C|)·d);
/// 3. cached separators — a hyperplane separating A (or B) from C found by an earlier solve is reused when it also
///    separates the whole union from C (checked on every point: a certificate);
/// 4. otherwise an SVM solve, the hard candidates sorted nearest-first.
/// Shortcuts 2–3 only ever certify separability and 1 only propagates a non-separability the SVM reported, so the
/// final clusters differ from the published loop's only where the SVM itself is wrong (a barely separable pair it
/// reports as not separable).
/// </summary>
internal sealed class DirectProbeMerge
{
    readonly float[][] x;
    readonly int d;
    readonly DirectProbeOptions options;
    /// <summary>Members, label, centroid and liveness per cluster id (merges append new ids).</summary>
    public readonly List<int[]> Members = [];
    public readonly List<int> Label = [];
    public readonly List<double[]> Centroid = [];
    public readonly List<bool> Active = [];
    public int Initial, Merges, Rejected, Solves, ShortcutTests, UncertainRejections;
    public bool Exhausted;
    // shortcut state: Gram-sum column per cluster (by slot), inherited rejections, cached separators (lower id positive)
    readonly List<int> slot = [];
    float[]?[] column = [];
    readonly List<HashSet<int>> forbidden = [];
    readonly Dictionary<long, float[]> separators = [];
    readonly List<HashSet<int>> separatorPartners = [];

    public DirectProbeMerge(float[][] x, List<int[]> groups, List<int> labels, DirectProbeOptions options)
    {
        this.x = x;
        d = x[0].Length;
        this.options = options;
        for (int i = 0; i < groups.Count; i++) Add(groups[i], labels[i], CentroidOf(groups[i]));
        Initial = groups.Count;
        if (options.Shortcuts) BuildColumns();
    }

    void Add(int[] members, int label, double[] centroid)
    {
        Members.Add(members); Label.Add(label); Centroid.Add(centroid); Active.Add(true);
        forbidden.Add([]); separatorPartners.Add([]); slot.Add(Initial == 0 ? slot.Count : -1);          // merged clusters get a's slot
    }

    /// <summary>column[s][p] = x_p · Σ_{q ∈ cluster s} x_q for every training row p: one [n, d] × [d, clusters] product.</summary>
    void BuildColumns()
    {
        using var scope = NewDisposeScope();
        var all = LinearProbe.Matrix(x);                                               // [n, d]
        var owner = new long[x.Length];
        for (int c = 0; c < Initial; c++) foreach (var r in Members[c]) owner[r] = c;
        var sums = zeros(Initial, d).index_add_(0, tensor(owner), all, 1);             // [clusters, d]
        var flat = sums.matmul(all.t()).contiguous().data<float>().ToArray();          // [clusters, n]
        column = new float[Initial][];
        for (int c = 0; c < Initial; c++) column[c] = flat.AsSpan(c * x.Length, x.Length).ToArray();
    }

    /// <summary>Runs the greedy merge to the end (or until <see cref="DirectProbeOptions.MaxSolves"/> is spent).</summary>
    public void Run(Action<string>? progress)
    {
        var sw = Stopwatch.StartNew();
        var queue = new PriorityQueue<(int A, int B), double>();
        for (int a = 0; a < Initial; a++)
            for (int b = a + 1; b < Initial; b++)
                if (Label[a] == Label[b]) queue.Enqueue((a, b), Distance(Centroid[a], Centroid[b]));
        var accepted = new List<(int Other, float[] Hyperplane)>();
        while (queue.TryDequeue(out var pair, out _))
        {
            var (a, b) = pair;
            if (!Active[a] || !Active[b]) continue;
            if (Solves >= options.MaxSolves) { Exhausted = true; break; }
            var union = Members[a].Concat(Members[b]).ToArray();
            var uc = CentroidOf(union);
            accepted.Clear();
            bool ok = options.Shortcuts ? DecideWithShortcuts(a, b, union, uc, accepted) : DecidePublished(a, union, uc);
            if (Exhausted) break;
            if (!ok)
            {
                Rejected++;
                if (options.Shortcuts) { forbidden[a].Add(b); forbidden[b].Add(a); }
                continue;
            }
            Active[a] = Active[b] = false;
            Add(union, Label[a], uc);
            int id = Members.Count - 1;
            if (options.Shortcuts) Inherit(a, b, id, accepted);
            for (int c = 0; c < id; c++)
                if (Active[c] && Label[c] == Label[id]) queue.Enqueue((c, id), Distance(uc, Centroid[c]));
            Merges++;
            if (progress != null && Merges % 200 == 0)
                progress($"directprobe: {Merges} merges, {Rejected} rejected, {Solves} SVM solves, {ShortcutTests} shortcut tests ({sw.Elapsed.TotalSeconds:0.0} s)");
        }
    }

    /// <summary>The published test: an SVM against every other-label cluster, nearest first, stopping at the first failure.</summary>
    bool DecidePublished(int a, int[] union, double[] uc)
    {
        var others = Enumerable.Range(0, Members.Count).Where(c => Active[c] && Label[c] != Label[a])
            .OrderBy(c => Distance(uc, Centroid[c])).ToList();
        foreach (var c in others)
        {
            if (Solves >= options.MaxSolves) { Exhausted = true; return false; }
            Solves++;
            if (!LinearSvm.Separable(x, union, Members[c], options.Svm, out int epochs)) return Reject(epochs);
        }
        return true;
    }

    bool DecideWithShortcuts(int a, int b, int[] union, double[] uc, List<(int, float[])> accepted)
    {
        if (forbidden[a].Contains(b)) return false;
        var hard = new List<int>();
        for (int c = 0; c < Members.Count; c++)
        {
            if (!Active[c] || Label[c] == Label[a]) continue;
            if (CentroidSeparates(a, b, union, c)) { ShortcutTests++; continue; }
            var cached = CachedSeparator(a, c, union) ?? CachedSeparator(b, c, union);
            if (cached != null) { ShortcutTests++; accepted.Add((c, cached)); continue; }
            hard.Add(c);
        }
        foreach (var c in hard.OrderBy(c => Distance(uc, Centroid[c])))
        {
            if (Solves >= options.MaxSolves) { Exhausted = true; return false; }
            Solves++;
            if (!LinearSvm.Separable(x, union, Members[c], options.Svm, out int epochs, out var w)) return Reject(epochs);
            accepted.Add((c, w!));
        }
        return true;
    }

    /// <summary>A failed solve; counted as uncertain when the SVM ran out of epochs instead of converging.</summary>
    bool Reject(int epochs)
    {
        if (epochs >= options.Svm.MaxEpochs) UncertainRejections++;
        return false;
    }

    /// <summary>max over U of p·(μ_C − μ_U) &lt; min over C, from the Gram-sum columns (a 1e-4 relative margin covers float rounding).</summary>
    bool CentroidSeparates(int a, int b, int[] union, int c)
    {
        var ca = column[slot[a]]!; var cb = column[slot[b]]!; var cc = column[slot[c]]!;
        double su = union.Length, sc = Members[c].Length, hiU = double.NegativeInfinity, loC = double.PositiveInfinity, scale = 0;
        foreach (var p in union)
        {
            double v = cc[p] / sc - (ca[p] + cb[p]) / su;
            hiU = Math.Max(hiU, v); scale = Math.Max(scale, Math.Max(Math.Abs(cc[p] / sc), Math.Abs((ca[p] + cb[p]) / su)));
        }
        foreach (var q in Members[c])
        {
            double v = cc[q] / sc - (ca[q] + cb[q]) / su;
            loC = Math.Min(loC, v); scale = Math.Max(scale, Math.Max(Math.Abs(cc[q] / sc), Math.Abs((ca[q] + cb[q]) / su)));
        }
        return hiU < loC - 1e-4 * (scale + 1);
    }

    /// <summary>A cached hyperplane between <paramref name="part"/> and C, re-oriented union-positive, if it separates the whole union from C.</summary>
    float[]? CachedSeparator(int part, int c, int[] union)
    {
        if (!separators.TryGetValue(Key(part, c), out var w)) return null;
        float sign = part < c ? 1 : -1;
        foreach (var p in union) if (sign * Side(w, p) <= 0) return null;
        foreach (var q in Members[c]) if (sign * Side(w, q) >= 0) return null;
        return sign > 0 ? w : w.Select(v => -v).ToArray();
    }

    float Side(float[] w, int row) => LinearSvm.Dot(w.AsSpan(0, d), x[row]) + w[d];

    /// <summary>The new cluster takes over a's Gram column (plus b's), both rejection sets and the separators just found.</summary>
    void Inherit(int a, int b, int id, List<(int Other, float[] Hyperplane)> accepted)
    {
        var ca = column[slot[a]]!; var cb = column[slot[b]]!;
        for (int p = 0; p < ca.Length; p++) ca[p] += cb[p];
        slot[id] = slot[a]; column[slot[b]] = null;
        foreach (var old in new[] { a, b })
        {
            foreach (var f in forbidden[old]) { forbidden[f].Remove(old); if (f != a && f != b) { forbidden[f].Add(id); forbidden[id].Add(f); } }
            forbidden[old].Clear();
            foreach (var p in separatorPartners[old]) { separators.Remove(Key(old, p)); separatorPartners[p].Remove(old); }
            separatorPartners[old].Clear();
        }
        foreach (var (c, w) in accepted)                                                // w is union-positive; id > c, so store negated
        {
            separators[Key(id, c)] = w.Select(v => -v).ToArray();
            separatorPartners[id].Add(c); separatorPartners[c].Add(id);
        }
    }

    static long Key(int p, int q) => p < q ? ((long)p << 32) | (uint)q : ((long)q << 32) | (uint)p;

    double[] CentroidOf(int[] rows)
    {
        var c = new double[d];
        foreach (var r in rows) for (int j = 0; j < d; j++) c[j] += x[r][j];
        for (int j = 0; j < d; j++) c[j] /= rows.Length;
        return c;
    }

    internal static double Distance(double[] a, double[] b)
    {
        double s = 0;
        for (int j = 0; j < a.Length; j++) s += (a[j] - b[j]) * (a[j] - b[j]);
        return Math.Sqrt(s);
    }
}
