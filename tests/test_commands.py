"""digest new, digest init and every command's --help."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import lxml.html
import pytest
import yaml

from digest.cli import COMMANDS
from tests.conftest import Site


@pytest.mark.parametrize("command", [c.__name__.rsplit(".", 1)[-1] for c in COMMANDS])
def test_every_command_has_help(command: str, cli) -> None:
    with pytest.raises(SystemExit) as info:
        cli(command, "--help")
    assert info.value.code == 0


def test_an_unknown_option_is_said_with_the_commands_own_usage(cli, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        cli("build", "--bogus")
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert err.startswith("usage: digest build ")
    assert err.endswith("digest build: error: unrecognized arguments: --bogus\n")


def test_new_hindi_title_keeps_devanagari(site: Site, cli) -> None:
    r = cli("new", "मानसून की वापसी", "--site", str(site.root), "--tags", "मौसम, Monsoon",
            "--lang", "hi", "--source-url", "https://example.com/x", "--date", "2025-03-01 09:30")
    assert r.code == 0, r.err
    path = Path(r.out.strip())
    assert path.name == "2025-03-01-मानसून-की-वापसी.md"
    meta = yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])
    assert meta["title"] == "मानसून की वापसी"
    assert meta["tags"] == ["मौसम", "Monsoon"]
    assert meta["lang"] == "hi"
    assert meta["source"] == {"url": "https://example.com/x"}
    assert cli("build", "--site", str(site.root)).code == 0
    assert site.out("2025/03/मानसून-की-वापसी/index.html").exists()


def test_new_refuses_a_language_the_build_would_refuse(site: Site, cli) -> None:
    r = cli("new", "Budget day", "--site", str(site.root), "--lang", "xx yy")
    assert r.code == 1 and r.err.strip() == ("<command line>:1: error: --lang: 'xx yy' is not a language code "
                                             "such as hi, en or en-IN")
    assert not list((site.root / "content").rglob("*.md"))
    assert cli("new", "Budget day", "--site", str(site.root), "--lang", "en-IN").code == 0


def test_new_follows_the_sites_folder_layout(site: Site, cli) -> None:
    site.add("2024/05/existing.md", "Existing")
    r = cli("new", "Budget day", "--site", str(site.root), "--date", "2025-02-01")
    assert Path(r.out.strip()) == site.root / "content" / "2025" / "02" / "budget-day.md"
    again = cli("new", "Budget day", "--site", str(site.root), "--date", "2025-02-01")
    assert again.code == 0 and Path(again.out.strip()).name == "budget-day-2.md"
    assert "this one is 'budget-day-2'" in again.err


def test_new_never_gives_a_url_an_article_has(site: Site, cli) -> None:
    """A follow-up with the same title, filed flat with a date prefix, has another file but the same
    URL (/{year}/{month}/{slug}/): it gets the next number. So does a slug an article set with
    ``slug:``. A --slug the editor chose is not changed: it is refused."""
    site.add("2025-02-01-rail-strike.md", "Rail strike", date="2025-02-01")
    site.add("2025-02-03-other-name.md", "Other", date="2025-02-03", slug="rail-strike-2")
    r = cli("new", "Rail strike", "--site", str(site.root), "--date", "2025-02-10", "--lang", "hi")
    assert r.code == 0, r.err
    path = Path(r.out.strip())
    assert path.name == "2025-02-10-rail-strike-3.md"
    assert path.read_text(encoding="utf-8").endswith("---\n\nख़बर यहाँ लिखें।\n")  # the article's language
    assert cli("new", "Rail strike", "--site", str(site.root), "--date", "2025-03-01").out.strip().endswith(
        "2025-03-01-rail-strike.md")  # another month: another URL
    refused = cli("new", "Rail strike", "--site", str(site.root), "--date", "2025-02-11", "--slug", "rail-strike")
    assert refused.code == 1
    assert refused.err.strip().endswith("2025-02-01-rail-strike.md has the URL /2025/02/rail-strike/ already; "
                                        "choose another --slug")
    assert cli("build", "--site", str(site.root)).code == 0


def test_init_makes_a_site_that_builds(tmp_path: Path, cli) -> None:
    target = tmp_path / "news"
    r = cli("init", str(target), "--title", "My News")
    assert r.code == 0, r.err
    assert (target / ".gitignore").read_text().count("public") == 2
    assert cli("build", "--site", str(target)).code == 0
    assert list((target / "public").rglob("welcome/index.html"))
    assert cli("init", str(target)).code == 1  # not empty


def test_init_here_says_no_cd(tmp_path: Path, cli, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = cli("init", ".", "--title", "Here")
    assert r.code == 0 and "\n  digest serve\n" in r.out and "  cd " not in r.out
    assert "  cd elsewhere\n" in cli("init", "elsewhere", "--title", "There").out


def test_init_keeps_a_title_as_written_and_checks_what_it_is_given(tmp_path: Path, cli) -> None:
    title = 'Path C:\\Bulletin "Daily" \\ news'
    assert cli("init", str(tmp_path / "a"), "--title", title).code == 0
    r = cli("build", "--site", str(tmp_path / "a"))
    assert r.code == 0, r.err
    (built,) = (tmp_path / "a/public").rglob("welcome/index.html")
    assert lxml.html.fromstring(built.read_bytes()).xpath("//h1")[0].text_content() == f"Welcome to {title}"
    for flag, value, said in (("--language", "Hindi!!", "--language must be a language code"),
                              ("--base-url", "user.github.io/repo/", "--base-url must be an absolute http(s) URL"),
                              ("--branch", "main, dev", "--branch must be a branch name"),
                              ("--timezone", "Mars/Olympus", "--timezone: unknown time zone")):
        r = cli("init", str(tmp_path / "b"), flag, value)
        assert r.code == 1 and r.err.startswith(f"<command line>:1: error: {said}"), r.err
        assert not (tmp_path / "b").exists()


def test_init_names_the_clone_digest_was_installed_from(tmp_path: Path, monkeypatch) -> None:
    from digest.commands import init

    clone = tmp_path / "digest"
    for args in (("init", "-q", str(clone)), ("-C", str(clone), "commit", "-q", "--allow-empty", "-m", "x"),
                 ("-C", str(clone), "remote", "add", "origin", "https://github.com/someone/digest")):
        subprocess.run(["git", *args], check=True, capture_output=True,
                       env={**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@e.org",
                            "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@e.org"})
    head = subprocess.run(["git", "-C", str(clone), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert init._clone_origin(str(clone)) == f"digest-ssg @ git+https://github.com/someone/digest@{head}"
    assert init._clone_origin(str(tmp_path)) is None  # not a clone


def test_init_in_hindi_makes_a_hindi_sample_that_builds_with_no_warning(tmp_path: Path, cli) -> None:
    target = tmp_path / "khabar"
    assert cli("init", str(target), "--title", "ख़बरें", "--language", "hi").code == 0
    (sample,) = (target / "content").glob("*-welcome.md")
    text = sample.read_text(encoding="utf-8")
    assert "lang: hi" in text and "आपका स्वागत है" in text and "This is the first article" not in text
    r = cli("build", "--site", str(target))
    assert r.code == 0 and "warning" not in r.err, r.err
    (built,) = (target / "public").rglob("welcome/index.html")
    doc = lxml.html.fromstring(built.read_bytes())
    assert doc.get("lang") == "hi" and doc.xpath("//h1")[0].text_content() == "ख़बरें में आपका स्वागत है"


def test_init_workflow_uses_the_official_pages_actions(tmp_path: Path, cli) -> None:
    cli("init", str(tmp_path / "s"))
    wf = yaml.safe_load((tmp_path / "s/.github/workflows/pages.yml").read_text())
    triggers = wf[True] if True in wf else wf["on"]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in triggers and triggers["schedule"]
    steps = wf["jobs"]["build"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    for action in ("actions/checkout", "actions/setup-python", "actions/configure-pages",
                   "actions/cache", "actions/upload-pages-artifact"):
        assert any(u.startswith(action + "@") for u in uses), action
    setup = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python"))
    assert setup["with"]["cache"] == "pip"
    build = next(s for s in steps if "digest build" in s.get("run", ""))
    assert "--base-url" in build["run"] and "steps.pages.outputs.base_url" in build["run"]
    # It uploads the folder it built into, whatever output_dir a site.yml sets later.
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert build["run"].split("--output ")[1].split()[0] == upload["with"]["path"]
    assert wf["jobs"]["deploy"]["steps"][0]["uses"].startswith("actions/deploy-pages@")
    assert wf["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}


def test_init_in_hindi_writes_hindi_whatever_the_spelling_of_the_code(tmp_path: Path, cli) -> None:
    for code in ("hi", "hi_IN", "hi-IN"):
        target = tmp_path / code
        assert cli("init", str(target), "--language", code, "--title", "समाचार").code == 0
        config = yaml.safe_load((target / "site.yml").read_text(encoding="utf-8"))
        assert config["language"] == code.replace("_", "-")
        assert config["description"] == "दिन की चुनी हुई ख़बरें।" and config["author"] == "समाचार डेस्क"
        (welcome,) = (target / "content").glob("*.md")
        assert "title: \"समाचार में आपका स्वागत है\"" in welcome.read_text(encoding="utf-8")
        assert cli("build", "--site", str(target)).code == 0


def test_a_story_never_written_is_said_before_it_is_published(site: Site, cli) -> None:
    path = Path(cli("new", "Rail strike", "--site", str(site.root), "--date", "2025-02-01").out.strip())
    r = cli("check", "--site", str(site.root))
    line = path.read_text(encoding="utf-8").split("\n").index("Write the story here.") + 1
    assert f"{path.name}:{line}: warning: the body is still digest new's placeholder" in r.out
    cli("new", "रेल हड़ताल", "--site", str(site.root), "--date", "2025-02-02", "--lang", "hi", "--draft")
    assert r.out.count("placeholder") == 1 == cli("check", "--site", str(site.root)).out.count("placeholder")
    path.write_text(path.read_text(encoding="utf-8").replace("Write the story here.", "Trains stopped."),
                    encoding="utf-8")
    assert "placeholder" not in cli("check", "--site", str(site.root)).out


def test_commands_find_the_site_from_a_folder_inside_it(site: Site, cli, monkeypatch) -> None:
    site.add("2025/01/a.md", "A", source={"name": "Wire"})
    monkeypatch.chdir(site.root / "content" / "2025" / "01")
    r = cli("build")
    assert r.code == 0, r.err
    assert (site.root / "public" / "2025" / "01" / "a" / "index.html").is_file()
    assert Path(cli("new", "Next story", "--date", "2025-01-20").out.strip()).parent == site.root / "content/2025/01"
    monkeypatch.chdir(site.root.parent)  # outside any site: the usual message
    r = cli("build")
    assert r.code == 1 and "no site.yml here" in r.err
