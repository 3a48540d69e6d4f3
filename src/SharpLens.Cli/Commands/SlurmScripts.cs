// The scripts `sharplens slurm <study>` writes: one sbatch script for every step and submit.sh, which chains the steps.
using System.Globalization;
using System.Text;

namespace SharpLens.Cli.Commands;

/// <summary>Slurm resources of the shard tasks (null: the cluster's default).</summary>
internal sealed record SlurmResources(string? Partition, int Cpus, string? Mem, int? Gpus, string? Time);

/// <summary>
/// One step of a pipeline: a job array over the shards (<see cref="Array"/>; its task I runs shard I/N) or one task.
/// <see cref="Args"/> follow <c>sharplens</c> (bash words; <c>$RUN</c>, <c>$SHARDS</c>, <c>${STUDY[@]}</c> and
/// <c>$SLURM_ARRAY_TASK_ID</c> are set by the script). The step named "merge" is last and records its exit code.
/// </summary>
internal sealed record SlurmStep(string Name, bool Array, string Args, string Comment);

/// <summary>A study's pipeline on Slurm.</summary>
internal sealed record SlurmPipeline(string Study, IReadOnlyList<SlurmStep> Steps)
{
    public const string Submit = "submit.sh";
    public string BatchFile => Study + ".sbatch";

    /// <summary>measure (array) → means → ablate (array) → merge.</summary>
    public static SlurmPipeline Parens { get; } = new("parens",
    [
        new("measure", true, "parens \"${STUDY[@]}\" --out \"$RUN\" --shard \"$SLURM_ARRAY_TASK_ID/$SHARDS\" --stage measure",
            "the study's passes over its batches, and the partial sums and counts of the mean activations, one part per ablation batch"),
        new("means", false, "merge \"$RUN\" --step means", "the parts summed in batch order (the reduction; never a mean of means)"),
        new("ablate", true, "parens \"${STUDY[@]}\" --out \"$RUN\" --shard \"$SLURM_ARRAY_TASK_ID/$SHARDS\" --stage ablate",
            "the (target, mode) ablations of shard I under those means"),
        Merge("results.json, CSVs and report.html, the same as an unsharded run"),
    ]);

    /// <summary>A study (or dataset build) without a reduction: its shards (array; each runs `sharplens COMMAND … --shard I/N`) → merge.</summary>
    public static SlurmPipeline Sharded(string study, string command, string stage, string units) => new(study,
    [
        new(stage, true, $"{command} \"${{STUDY[@]}}\" --out \"$RUN\" --shard \"$SLURM_ARRAY_TASK_ID/$SHARDS\"", $"the {units} of shard I"),
        Merge(command.StartsWith("data ", StringComparison.Ordinal) ? "the JSONL file, the same as an unsharded build" : "the report, the same as an unsharded run (timings aside)"),
    ]);

    static SlurmStep Merge(string what) => new("merge", false, "merge \"$RUN\"", what);
}

internal static class SlurmScripts
{
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

    static string Var(string step) => step.ToUpperInvariant() + "_ARRAY";

    /// <summary>The sbatch script: the step named by $STEP (an array step's task I runs shard I/N).</summary>
    public static string BatchScript(SlurmPipeline pipeline, string runDir, int shards, IReadOnlyList<string> sharplens, IReadOnlyList<string> studyArgs,
        SlurmResources res, string workDir)
    {
        var sb = new StringBuilder();
        sb.AppendLine("#!/usr/bin/env bash");
        sb.AppendLine($"# The sharded {pipeline.Study} study of {runDir} on Slurm: one job per step, the step named by $STEP.");
        sb.AppendLine("# Written by `sharplens slurm`; edit freely. submit.sh submits the steps in order, each after the one before");
        sb.AppendLine("# succeeded (--dependency=afterok):");
        foreach (var s in pipeline.Steps)
            sb.AppendLine($"#   {s.Name,-8} {(s.Array ? $"job array: task I runs shard I/{shards}:" : "one task:")} {s.Comment}");
        sb.AppendLine("# Each shard is written atomically under the run folder; a task whose shard is already there exits at once.");
        sb.AppendLine($"#SBATCH --job-name=sharplens-{pipeline.Study}");
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
        for (int i = 0; i < studyArgs.Count;)
        {
            int n = i + 1 < studyArgs.Count && studyArgs[i].StartsWith("--") && !studyArgs[i + 1].StartsWith("--") ? 2 : 1;   // an option and its value per line
            sb.AppendLine("  " + string.Join(" ", studyArgs.Skip(i).Take(n).Select(Quote)));
            i += n;
        }
        sb.AppendLine(")");
        sb.AppendLine($"cd {Quote(workDir)}   # where `sharplens slurm` ran: relative paths in STUDY are relative to it");
        sb.AppendLine("export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}");
        sb.AppendLine();
        sb.AppendLine($"case \"${{STEP:?set STEP to {string.Join(", ", pipeline.Steps.Select(s => s.Name))} (submit.sh does)}}\" in");
        foreach (var s in pipeline.Steps)
        {
            sb.AppendLine($"  {s.Name})");
            if (s.Name == "merge")
            {
                sb.AppendLine($"    rc=0; \"${{SHARPLENS[@]}}\" {s.Args} || rc=$?");
                sb.AppendLine("    echo \"$rc\" > \"$RUN/slurm/merge.rc\"; exit \"$rc\" ;;");
            }
            else
            {
                if (s.Array) sb.AppendLine($"    : \"${{SLURM_ARRAY_TASK_ID:?{s.Name} runs as a job array}}\"");
                sb.AppendLine($"    exec \"${{SHARPLENS[@]}}\" {s.Args} ;;");
            }
        }
        sb.AppendLine($"  *) echo \"error: STEP must be {string.Join(", ", pipeline.Steps.Select(s => s.Name))}, found '$STEP'\" >&2; exit 2 ;;");
        sb.AppendLine("esac");
        return sb.ToString();
    }

    /// <summary>submit.sh: submits the steps in order with afterok dependencies; prints "STEP JOBID" lines.</summary>
    public static string SubmitScript(SlurmPipeline pipeline, int shards, SlurmResources res)
    {
        var all = shards == 1 ? "0" : $"0-{shards - 1}";
        var sb = new StringBuilder();
        sb.AppendLine("#!/usr/bin/env bash");
        sb.AppendLine($"# Submits the steps of {pipeline.BatchFile}, each after the previous one succeeded (afterok); a failed step cancels the");
        sb.AppendLine("# steps after it (--kill-on-invalid-dep). Prints one \"STEP JOBID\" line per job. Written by `sharplens slurm`.");
        sb.AppendLine("# To retry after a failure, run the same `sharplens slurm … --submit` again: it sets the *_ARRAY variables to the");
        sb.AppendLine("# missing shards only (empty: the step is done) and RUN_<STEP>=0 for a single-task step that is done.");
        sb.AppendLine("set -euo pipefail");
        sb.AppendLine("cd \"$(dirname \"$0\")\"");
        sb.AppendLine("mkdir -p logs");
        foreach (var s in pipeline.Steps.Where(s => s.Name != "merge"))
            sb.AppendLine(s.Array ? $"{Var(s.Name)}=${{{Var(s.Name)}-{all}}}" : $"RUN_{s.Name.ToUpperInvariant()}=${{RUN_{s.Name.ToUpperInvariant()}-1}}");
        sb.AppendLine($"SHARD_RESOURCES=({(res.Gpus is int g ? $"--gpus={g}" : "")})   # the array tasks only: the single-task steps need no accelerator");
        sb.AppendLine("after=()");
        sb.AppendLine("submit() {   # STEP [sbatch options…]");
        sb.AppendLine("  local step=$1 id; shift");
        sb.AppendLine($"  id=$(STEP=$step sbatch --parsable --kill-on-invalid-dep=yes --job-name=\"sharplens-{pipeline.Study}-$step\" \"${{after[@]}}\" \"$@\" {pipeline.BatchFile})");
        sb.AppendLine("  id=${id%%;*}");
        sb.AppendLine("  echo \"$step $id\"");
        sb.AppendLine("  after=(--dependency=afterok:$id)");
        sb.AppendLine("}");
        foreach (var s in pipeline.Steps)
            sb.AppendLine(s.Name == "merge" ? "submit merge --output=\"$PWD/logs/%x-%j.out\""
                : s.Array ? $"[ -z \"${Var(s.Name)}\" ] || submit {s.Name} --array=\"${Var(s.Name)}\" \"${{SHARD_RESOURCES[@]}}\""
                : $"[ \"$RUN_{s.Name.ToUpperInvariant()}\" = 0 ] || submit {s.Name} --output=\"$PWD/logs/%x-%j.out\"");
        return sb.ToString();
    }

    /// <summary>The environment submit.sh reads: each array step's missing shards ("1,3"; empty when done), each single step's 0/1.</summary>
    public static Dictionary<string, string> Environment(IReadOnlyDictionary<string, IReadOnlyList<int>> missing, IReadOnlyDictionary<string, bool> done) =>
        missing.Select(kv => (Var(kv.Key), string.Join(",", kv.Value)))
            .Concat(done.Select(kv => ($"RUN_{kv.Key.ToUpperInvariant()}", kv.Value ? "0" : "1"))).ToDictionary(x => x.Item1, x => x.Item2);

    /// <summary>Shard indices as "1/4, 3/4" ("none" when empty).</summary>
    public static string Describe(IReadOnlyList<int> missing, int shards) =>
        missing.Count == 0 ? "none" : string.Join(", ", missing.Select(i => $"{i}/{shards}"));
}
