// The scripts `sharplens slurm parens` writes: one sbatch script for every step and submit.sh, which chains the steps.
using System.Globalization;
using System.Text;
using SharpLens.Analysis.Parens;

namespace SharpLens.Cli.Commands;

/// <summary>Slurm resources of the shard tasks (null: the cluster's default).</summary>
internal sealed record SlurmResources(string? Partition, int Cpus, string? Mem, int? Gpus, string? Time);

internal static class SlurmScripts
{
    public const string Batch = "parens.sbatch", Submit = "submit.sh";

    /// <summary>A word for bash, single-quoted unless it is plainly safe.</summary>
    public static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "/._-+=:,@%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>The `parens` options that reproduce <paramref name="inputs"/> (paths absolute, every option spelled out).</summary>
    public static IReadOnlyList<string> StudyArgs(ParensCommand.StudyInputs inputs)
    {
        var o = inputs.Options;
        var args = new List<string>
        {
            "--model", Path.GetFullPath(inputs.ModelDir), "--tokenizer", Path.GetFullPath(inputs.TokenizerDir), "--dtype", inputs.DType,
            "--depths", string.Join(",", o.Depths), "--n", $"{o.N}",
            "--dataset", o.Dataset is "template" or "mined" ? o.Dataset : Path.GetFullPath(o.Dataset),
        };
        if (o.Source is { } source) args.AddRange(["--source", Path.GetFullPath(source)]);
        args.AddRange(["--seed", o.Seed.ToString(CultureInfo.InvariantCulture), "--batch", $"{o.Batch}", "--ablation-n", $"{o.AblationN}"]);
        return args;
    }

    /// <summary>parens.sbatch: the step named by $STEP (measure/ablate: array task I runs shard I/N; means; merge).</summary>
    public static string BatchScript(string runDir, int shards, IReadOnlyList<string> sharplens, IReadOnlyList<string> studyArgs, SlurmResources res)
    {
        var sb = new StringBuilder();
        sb.AppendLine("#!/usr/bin/env bash");
        sb.AppendLine($"# The sharded parens study of {runDir} on Slurm: one job per step, the step named by $STEP.");
        sb.AppendLine("# Written by `sharplens slurm parens`; edit freely. submit.sh submits the steps in order, each after the one before");
        sb.AppendLine("# succeeded (--dependency=afterok):");
        sb.AppendLine($"#   measure  job array: task I runs shard I/{shards} (the study's passes over its batches, and the partial sums");
        sb.AppendLine("#            and counts of the mean activations, one part per ablation batch)");
        sb.AppendLine("#   means    one task: the parts summed in batch order (the reduction; never a mean of means)");
        sb.AppendLine($"#   ablate   job array: task I runs the (target, mode) ablations of shard I/{shards} under those means");
        sb.AppendLine("#   merge    one task: results.json, CSVs and report.html, the same as an unsharded run; its exit code goes to merge.rc");
        sb.AppendLine("# Each shard is written atomically under the run folder; a task whose shard is already there exits at once.");
        sb.AppendLine("#SBATCH --job-name=sharplens-parens");
        sb.AppendLine($"#SBATCH --output={Path.Combine(runDir, "slurm", "logs")}/%x-%A_%a.out");
        if (res.Partition is { } p) sb.AppendLine($"#SBATCH --partition={p}");
        if (res.Time is { } t) sb.AppendLine($"#SBATCH --time={t}");
        sb.AppendLine($"#SBATCH --cpus-per-task={res.Cpus}");
        if (res.Mem is { } m) sb.AppendLine($"#SBATCH --mem={m}");
        sb.AppendLine("set -euo pipefail");
        sb.AppendLine();
        sb.AppendLine($"SHARPLENS=({string.Join(" ", sharplens.Select(Quote))})");
        sb.AppendLine($"RUN={Quote(runDir)}");
        sb.AppendLine($"SHARDS={shards}");
        sb.AppendLine("STUDY=(");
        for (int i = 0; i < studyArgs.Count; i += 2)
            sb.AppendLine($"  {Quote(studyArgs[i])} {(i + 1 < studyArgs.Count ? Quote(studyArgs[i + 1]) : "")}".TrimEnd());
        sb.AppendLine(")");
        sb.AppendLine("export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}");
        sb.AppendLine();
        sb.AppendLine("case \"${STEP:?set STEP to measure, means, ablate or merge (submit.sh does)}\" in");
        sb.AppendLine("  measure|ablate)");
        sb.AppendLine("    exec \"${SHARPLENS[@]}\" parens \"${STUDY[@]}\" --out \"$RUN\" --shard \"${SLURM_ARRAY_TASK_ID:?measure and ablate run as array tasks}/$SHARDS\" --stage \"$STEP\" ;;");
        sb.AppendLine("  means)");
        sb.AppendLine("    exec \"${SHARPLENS[@]}\" merge \"$RUN\" --step means ;;");
        sb.AppendLine("  merge)");
        sb.AppendLine("    rc=0; \"${SHARPLENS[@]}\" merge \"$RUN\" || rc=$?");
        sb.AppendLine("    echo \"$rc\" > \"$RUN/slurm/merge.rc\"; exit \"$rc\" ;;");
        sb.AppendLine("  *) echo \"error: STEP must be measure, means, ablate or merge, found '$STEP'\" >&2; exit 2 ;;");
        sb.AppendLine("esac");
        return sb.ToString();
    }

    /// <summary>submit.sh: submits measure (array) → means → ablate (array) → merge with afterok dependencies; prints "STEP JOBID" lines.</summary>
    public static string SubmitScript(int shards, SlurmResources res)
    {
        var all = shards == 1 ? "0" : $"0-{shards - 1}";
        var sb = new StringBuilder();
        sb.AppendLine("#!/usr/bin/env bash");
        sb.AppendLine("# Submits the steps of parens.sbatch, each after the previous one succeeded (afterok); a failed step cancels the");
        sb.AppendLine("# steps after it (--kill-on-invalid-dep). Prints one \"STEP JOBID\" line per job. Written by `sharplens slurm parens`.");
        sb.AppendLine("# To retry after a failure, run `sharplens slurm parens … --submit` again: it sets MEASURE_ARRAY and ABLATE_ARRAY to");
        sb.AppendLine("# the missing shards only (empty: the step is done) and RUN_MEANS=0 when the means exist.");
        sb.AppendLine("set -euo pipefail");
        sb.AppendLine("cd \"$(dirname \"$0\")\"");
        sb.AppendLine("mkdir -p logs");
        sb.AppendLine($"MEASURE_ARRAY=${{MEASURE_ARRAY-{all}}}");
        sb.AppendLine("RUN_MEANS=${RUN_MEANS-1}");
        sb.AppendLine($"ABLATE_ARRAY=${{ABLATE_ARRAY-{all}}}");
        sb.AppendLine($"SHARD_RESOURCES=({(res.Gpus is int g ? $"--gpus={g}" : "")})   # the array tasks only: the means and merge steps need no accelerator");
        sb.AppendLine("after=()");
        sb.AppendLine("submit() {   # STEP [sbatch options…]");
        sb.AppendLine("  local step=$1 id; shift");
        sb.AppendLine("  id=$(STEP=$step sbatch --parsable --kill-on-invalid-dep=yes --job-name=\"sharplens-parens-$step\" \"${after[@]}\" \"$@\" " + Batch + ")");
        sb.AppendLine("  id=${id%%;*}");
        sb.AppendLine("  echo \"$step $id\"");
        sb.AppendLine("  after=(--dependency=afterok:$id)");
        sb.AppendLine("}");
        sb.AppendLine("[ -z \"$MEASURE_ARRAY\" ] || submit measure --array=\"$MEASURE_ARRAY\" \"${SHARD_RESOURCES[@]}\"");
        sb.AppendLine("[ \"$RUN_MEANS\" = 0 ] || submit means --output=\"$PWD/logs/%x-%j.out\"");
        sb.AppendLine("[ -z \"$ABLATE_ARRAY\" ] || submit ablate --array=\"$ABLATE_ARRAY\" \"${SHARD_RESOURCES[@]}\"");
        sb.AppendLine("submit merge --output=\"$PWD/logs/%x-%j.out\"");
        return sb.ToString();
    }

    /// <summary>A Slurm array spec of shard indices: "1,3" (empty when none).</summary>
    public static string ArraySpec(IEnumerable<int> shards) => string.Join(",", shards);

    /// <summary>The shards missing from a run: <see cref="Shard"/> indices per stage.</summary>
    public static string Describe(IReadOnlyList<int> missing, int shards) =>
        missing.Count == 0 ? "none" : string.Join(", ", missing.Select(i => $"{i}/{shards}"));
}
