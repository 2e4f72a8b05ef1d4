"""A small run of the signaling benchmark, so that its code keeps working."""

from pathlib import Path

from app.bench import report, signaling


async def test_join_storm_counts_every_frame_it_should(tmp_path: Path) -> None:
    results = await signaling.run([3, 6], broadcasts=2)
    assert [r.listeners for r in results] == [3, 6]
    for r in results:
        # Join k reaches the host and the k guests already in: 1 + 2 + ... + N.
        assert r.join_frames == sum(k + 1 for k in range(r.listeners))
        assert r.broadcast_frames == 2 * (r.listeners + 1)
    text = signaling.markdown(results)
    target = tmp_path / "benchmarks.md"
    target.write_text("# Benchmarks\n\nkept\n")
    report.write_section(target, "signaling", text)
    report.write_section(target, "signaling", text)  # replaced, not appended twice
    written = target.read_text()
    assert written.count("<!-- bench:signaling -->") == 1 and "kept" in written
    assert "| 6 |" in written
