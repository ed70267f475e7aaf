"""The server's French page (qep_ui.serve): Streamlit's static folder, its index saying lang="fr"."""

from __future__ import annotations

from pathlib import Path

from qep_ui.serve import french_static_dir


def test_the_static_folder_is_streamlits_with_a_french_index(tmp_path: Path) -> None:
    original = tmp_path / "static"
    (original / "static" / "js").mkdir(parents=True)
    (original / "static" / "js" / "main.js").write_text("console.log(1)")
    (original / "favicon.png").write_bytes(b"\x89PNG")
    (original / "index.html").write_text('<!doctype html><html lang="en"><head></head></html>', encoding="utf-8")
    built = french_static_dir(original, "9.9.9", parent=tmp_path)
    assert (built / "index.html").read_text(encoding="utf-8") == '<!doctype html><html lang="fr"><head></head></html>'
    assert (built / "static" / "js" / "main.js").read_text() == "console.log(1)"  # through its link
    assert (built / "favicon.png").is_symlink() and (original / "index.html").read_text().count('lang="en"') == 1
    assert french_static_dir(original, "9.9.9", parent=tmp_path) == built  # made once
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("qep-streamlit-static")] == [built.name]
