using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Article;

/// <summary>
/// Runs the scenarios of <c>integrations/python/test_chorus_slot.py</c> (real prometheus_client, real fork,
/// SIGKILL, multiprocessing) one per xunit case, so a failure names the scenario and shows Python's report: with
/// Debian's prometheus_client 0.16 (8-byte layout) and again with 0.21.1 (16-byte layout) first on the path.
/// </summary>
[Trait(StartsNoChorus.Name, StartsNoChorus.Value)]
public sealed class PythonSlotHelperTests
{
    private const string TestClass = "test_chorus_slot.ChorusSlotTests";

    private static readonly string[] s_scenarios =
    [
        "test_files_are_named_after_the_lowest_free_slot",
        "test_processes_alive_together_get_distinct_slots",
        "test_successor_continues_counters_and_files_stay_bounded",
        "test_install_and_fork_take_no_slot_until_a_metric_is_created",
        "test_forked_child_takes_its_own_slot_on_first_use_and_leaves_the_parents",
        "test_child_does_not_reuse_the_slot_its_parent_held_when_the_parent_is_gone",
        "test_sigkilled_worker_in_progress_gauge_is_zero_after_a_new_process_takes_its_slot",
        "test_taking_a_slot_reaps_live_gauges_of_other_ownerless_slots_only",
        "test_normal_exit_removes_own_live_gauges_but_keeps_counters",
        "test_a_slot_only_being_probed_is_waited_for_not_skipped",
        "test_lock_is_not_inherited_across_exec",
        "test_install_without_a_directory_changes_nothing",
        "test_multiprocessing_pool_workers_each_take_a_slot",
        "test_new_owner_rewrites_files_without_the_series_chorus_removed",
        "test_a_series_made_again_after_the_rewrite_is_neither_hidden_nor_dropped",
        "test_killed_before_the_rename_the_next_owner_finishes_the_rewrite",
        "test_killed_after_the_rename_the_next_owner_drops_the_sidecar",
        "test_a_file_in_the_other_layout_is_moved_aside_and_never_opened",
        "test_a_torn_read_is_read_again_not_a_failed_scrape",
        "test_a_file_still_damaged_when_read_again_fails_the_scrape_without_waiting_out_the_patience",
    ];

    public static TheoryData<string> Scenarios => new(s_scenarios);

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Scenario_passes_with_the_real_prometheus_client(string scenario)
    {
        (int exitCode, string stdout, string stderr) = PythonPeer.Run(
            ["-m", "unittest", "-v", $"{TestClass}.{scenario}"],
            TimeSpan.FromSeconds(90), RepoPaths.SlotHelperDirectory);

        Assert.True(exitCode == 0, $"{scenario} failed:\n{stdout}{stderr}");
        Assert.Contains("Ran 1 test", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Scenario_passes_with_prometheus_client_021(string scenario)
    {
        (int exitCode, string stdout, string stderr) = PythonPeer.Run(
            ["-m", "unittest", "-v", $"{TestClass}.{scenario}"],
            TimeSpan.FromSeconds(90), RepoPaths.SlotHelperDirectory, PythonPeer.Newest);

        Assert.True(exitCode == 0, $"{scenario} failed under 0.21:\n{stdout}{stderr}");
        Assert.Contains("Ran 1 test", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_021_runs_use_prometheus_client_021()
    {
        (int exitCode, string stdout, string stderr) = PythonPeer.Run(
            ["-c", "import prometheus_client.mmap_dict as m, importlib.metadata as md; print(md.version('prometheus_client'), hasattr(m, '_pack_two_doubles'))"],
            TimeSpan.FromSeconds(30), RepoPaths.SlotHelperDirectory, PythonPeer.Newest);

        Assert.True(exitCode == 0, stderr);
        Assert.Equal("0.21.1 True", stdout.Trim());
    }

    [Fact]
    public void Every_python_scenario_is_listed_here()
    {
        (int exitCode, string stdout, string stderr) = PythonPeer.Run(
            ["-c", "import unittest, test_chorus_slot as t; print('\\n'.join(unittest.TestLoader().getTestCaseNames(t.ChorusSlotTests)))"],
            TimeSpan.FromSeconds(30), RepoPaths.SlotHelperDirectory);

        Assert.True(exitCode == 0, stderr);
        string[] inPython = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(inPython.Order(StringComparer.Ordinal), s_scenarios.Order(StringComparer.Ordinal));
    }
}
