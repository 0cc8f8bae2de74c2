using Chorus.IntegrationTests.Support;

namespace Chorus.IntegrationTests.Article;

/// <summary>
/// Runs the scenarios of <c>integrations/python/test_chorus_slot.py</c> (real prometheus_client, real fork,
/// SIGKILL, multiprocessing) one per xunit case, so a failure names the scenario and shows Python's report.
/// </summary>
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
