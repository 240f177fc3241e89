"""Search benchmark: the portal's Whoosh index against SQLite FTS5 fed the same tokens.

    python -m bench.search.run --docs 100000        (make bench-search; make bench-search N=20000)

Each phase runs in its own process so that its peak memory is its own: generate the corpus,
build the Whoosh index (through the portal's SearchIndex.rebuild, the code `search rebuild`
runs), query it, build the FTS5 table, query it. Prints a table and writes bench/search/last-run.json.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CATEGORIES = ["common term", "rare term", "multi-term", "quoted phrase", "facet filter", "deep page"]
QUERIES_PER_CATEGORY = 40


def peak_rss_mb() -> float:
    """The largest resident size of this process (VmHWM: ru_maxrss would carry over the size
    of the process that started it) or of any child it waited for (Whoosh's parallel writer
    does its work in children)."""
    with open("/proc/self/status") as status:
        own = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    return max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def directory_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


# --- phases (each in a child process) ------------------------------------------------------

def phase_generate(corpus: Path, docs: int) -> dict:
    from bench.search.corpus import write_corpus

    started = time.perf_counter()
    write_corpus(corpus, docs)
    return {"seconds": time.perf_counter() - started}


def _search_documents(corpus: Path):
    from bench.search.corpus import read_corpus
    from portal.search.documents import SearchDocument

    for item in read_corpus(corpus):
        yield SearchDocument(
            kind=item["kind"], key=item["key"], title=item["title"], body=item["body"],
            date=dt.date.fromisoformat(item["date"]), doc_no=item["doc_no"],
            departments=tuple(tuple(d) for d in item["departments"]),
        )


def phase_whoosh_build(corpus: Path, index_dir: Path) -> dict:
    from portal.search.engine import SearchIndex

    started = time.perf_counter()
    count = SearchIndex(index_dir).rebuild(_search_documents(corpus), processes=os.cpu_count() or 1)
    seconds = time.perf_counter() - started
    return {"docs": count, "seconds": seconds, "docs_per_second": count / seconds,
            "peak_rss_mb": peak_rss_mb(), "index_mb": directory_bytes(index_dir) / 2**20}


def phase_whoosh_query(index_dir: Path, queries: Path) -> dict:
    from portal.search.engine import SearchIndex, SearchRequest

    index = SearchIndex(index_dir)
    mix = json.loads(queries.read_text(encoding="utf-8"))
    index.search(SearchRequest(text="应急"))  # open the index once, as a running worker has
    latencies: dict[str, list[float]] = {}
    totals: dict[str, int] = {}
    for category, items in mix.items():
        for item in items:
            request = SearchRequest(text=item["text"], department=item.get("department"),
                                    year=item.get("year"), page=item.get("page", 1))
            started = time.perf_counter()
            result = index.search(request)
            latencies.setdefault(category, []).append((time.perf_counter() - started) * 1000)
            totals[category] = totals.get(category, 0) + result.total
    return {"latencies_ms": latencies, "matches": totals, "peak_rss_mb": peak_rss_mb()}


FTS_SCHEMA = """
CREATE TABLE docs (id INTEGER PRIMARY KEY, key TEXT, kind TEXT, year TEXT, date TEXT);
CREATE TABLE doc_departments (doc_id INTEGER, department TEXT);
CREATE INDEX doc_departments_department ON doc_departments (department, doc_id);
CREATE INDEX doc_departments_doc ON doc_departments (doc_id);
CREATE VIRTUAL TABLE fts USING fts5 (title, doc_no, departments, body, tokenize = 'unicode61');
"""


def phase_fts5_build(corpus: Path, database: Path) -> dict:
    """FTS5 fed the portal's segmentation: every column is its words joined by spaces."""
    from portal.search.analysis import segmenter

    def words(text: str) -> str:
        return " ".join(t.text for t in segmenter().segment(text))

    started = time.perf_counter()
    connection = sqlite3.connect(database)
    connection.executescript(FTS_SCHEMA)
    count = 0
    for number, item in enumerate(_search_documents(corpus), start=1):
        connection.execute("INSERT INTO docs VALUES (?, ?, ?, ?, ?)",
                           (number, item.key, item.kind, str(item.date.year), item.date.isoformat()))
        connection.executemany("INSERT INTO doc_departments VALUES (?, ?)", [(number, s) for s, _ in item.departments])
        connection.execute("INSERT INTO fts (rowid, title, doc_no, departments, body) VALUES (?, ?, ?, ?, ?)",
                           (number, words(item.title), words(item.doc_no),
                            words(" ".join(n for _, n in item.departments)), words(item.body)))
        count += 1
    connection.commit()
    connection.close()
    seconds = time.perf_counter() - started
    return {"docs": count, "seconds": seconds, "docs_per_second": count / seconds,
            "peak_rss_mb": peak_rss_mb(), "index_mb": database.stat().st_size / 2**20}


def fts5_query(connection: sqlite3.Connection, item: dict) -> int:
    """What the portal's search does, in SQL: total, one page by relevance, three facets.

    The matches and their bm25 scores are computed once into a temporary table; the total,
    the page and the facet counts are then read from it with the filters applied.
    """
    from portal.search.query import parse_query

    parsed = parse_query(item["text"])
    parts = ['"' + " ".join(phrase) + '"' for phrase in parsed.phrases] + [f'"{w}"' for w in parsed.words]
    connection.execute("DELETE FROM temp.matches")
    connection.execute("INSERT INTO temp.matches SELECT rowid, bm25(fts, 4.0, 6.0, 2.0, 1.0) FROM fts "
                       "WHERE fts MATCH ?", [" AND ".join(parts)])
    joins, where, params = "", [], []
    if item.get("department"):
        joins = "JOIN doc_departments dd ON dd.doc_id = m.id AND dd.department = ?"
        params.append(item["department"])
    if item.get("year"):
        where.append("d.year = ?")
        params.append(item["year"])
    filtered = (f"SELECT m.id AS id, m.score AS score FROM temp.matches m JOIN docs d ON d.id = m.id {joins} "
                + (f"WHERE {' AND '.join(where)}" if where else ""))
    total = connection.execute(f"SELECT count(*) FROM ({filtered})", params).fetchone()[0]
    offset = (item.get("page", 1) - 1) * 10
    connection.execute(f"SELECT d.key FROM ({filtered}) f JOIN docs d ON d.id = f.id ORDER BY f.score LIMIT 10 OFFSET ?",
                       params + [offset]).fetchall()
    connection.execute(f"SELECT d.kind, count(*) FROM ({filtered}) f JOIN docs d ON d.id = f.id GROUP BY d.kind", params).fetchall()
    connection.execute(f"SELECT d.year, count(*) FROM ({filtered}) f JOIN docs d ON d.id = f.id GROUP BY d.year", params).fetchall()
    connection.execute(f"SELECT x.department, count(*) FROM ({filtered}) f JOIN doc_departments x ON x.doc_id = f.id "
                       "GROUP BY x.department", params).fetchall()
    return total


def phase_fts5_query(database: Path, queries: Path) -> dict:
    connection = sqlite3.connect(database)
    connection.execute("CREATE TEMP TABLE matches (id INTEGER PRIMARY KEY, score REAL)")
    mix = json.loads(queries.read_text(encoding="utf-8"))
    fts5_query(connection, {"text": "应急"})
    latencies: dict[str, list[float]] = {}
    totals: dict[str, int] = {}
    for category, items in mix.items():
        for item in items:
            started = time.perf_counter()
            total = fts5_query(connection, item)
            latencies.setdefault(category, []).append((time.perf_counter() - started) * 1000)
            totals[category] = totals.get(category, 0) + total
    return {"latencies_ms": latencies, "matches": totals, "peak_rss_mb": peak_rss_mb()}


PHASES = {
    "generate": lambda a: phase_generate(Path(a.corpus), a.docs),
    "whoosh-build": lambda a: phase_whoosh_build(Path(a.corpus), Path(a.index)),
    "whoosh-query": lambda a: phase_whoosh_query(Path(a.index), Path(a.queries)),
    "fts5-build": lambda a: phase_fts5_build(Path(a.corpus), Path(a.database)),
    "fts5-query": lambda a: phase_fts5_query(Path(a.database), Path(a.queries)),
}


# --- the query mix ---------------------------------------------------------------------------

def query_mix(corpus: Path, seed: int = 7) -> dict[str, list[dict]]:
    """A fixed mix drawn from the corpus itself, so every query type finds something."""
    from bench.search.corpus import DEPARTMENTS, YEARS, Vocabulary, read_corpus
    from portal.search.analysis import segmenter

    rng = random.Random(seed)
    vocabulary = Vocabulary()
    common = vocabulary.words[20:300]
    rare = vocabulary.words[15_000:60_000]
    middle = vocabulary.words[300:5_000]
    sample_docs = [doc for _, doc in zip(range(400), read_corpus(corpus))]
    phrases = []
    for doc in rng.sample(sample_docs, min(len(sample_docs), QUERIES_PER_CATEGORY * 2)):
        words = [w for w in segmenter().words(doc["body"]) if len(w) > 1]
        if len(words) > 3:
            start = rng.randrange(len(words) - 2)
            phrases.append({"text": '"' + "".join(words[start:start + 2]) + '"'})
    n = QUERIES_PER_CATEGORY
    return {
        "common term": [{"text": w} for w in rng.sample(common, n)],
        "rare term": [{"text": w} for w in rng.sample(rare, n)],
        "multi-term": [{"text": " ".join(rng.sample(middle, rng.choice([2, 3])))} for _ in range(n)],
        "quoted phrase": phrases[:n],
        "facet filter": [
            {"text": rng.choice(common), **({"department": rng.choice(DEPARTMENTS)[0]} if i % 2 else
                                            {"year": str(rng.choice(list(YEARS)))})}
            for i in range(n)
        ],
        "deep page": [{"text": w, "page": 50} for w in rng.sample(common, n)],
    }


# --- the parent ------------------------------------------------------------------------------

def run_phase(name: str, **arguments) -> dict:
    command = [sys.executable, "-m", "bench.search.run", "--phase", name]
    for key, value in arguments.items():
        command += [f"--{key}", str(value)]
    output = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def summarise(latencies: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    summary = {category: {"p50": statistics.median(values), "p95": percentile(values, 95), "p99": percentile(values, 99)}
               for category, values in latencies.items()}
    every = [v for values in latencies.values() for v in values]
    summary["all queries"] = {"p50": statistics.median(every), "p95": percentile(every, 95), "p99": percentile(every, 99)}
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--phase", choices=sorted(PHASES))
    for name in ("corpus", "index", "database", "queries"):
        parser.add_argument(f"--{name}")
    parser.add_argument("--workdir", help="keep the corpus and indexes here (default: a temporary folder)")
    parser.add_argument("--tiny", action="store_true",
                        help="a smoke run of every phase (200 documents), last-run.json left alone")
    arguments = parser.parse_args()
    if arguments.tiny:
        arguments.docs = min(arguments.docs, 200)
    if arguments.phase:
        print(json.dumps(PHASES[arguments.phase](arguments)))
        return

    with tempfile.TemporaryDirectory(prefix="bench-search-") as temporary:
        work = Path(arguments.workdir or temporary)
        work.mkdir(parents=True, exist_ok=True)
        corpus, queries = work / "corpus.jsonl", work / "queries.json"
        print(f"corpus: {arguments.docs} documents ...", flush=True)
        if corpus.exists() and sum(1 for _ in corpus.open(encoding="utf-8")) == arguments.docs:
            generated = {"seconds": 0.0}  # the same deterministic corpus, kept by --workdir
        else:
            generated = run_phase("generate", corpus=corpus, docs=arguments.docs)
        queries.write_text(json.dumps(query_mix(corpus), ensure_ascii=False), encoding="utf-8")
        print(f"  generated in {generated['seconds']:.0f} s; building Whoosh ...", flush=True)
        shutil.rmtree(work / "whoosh", ignore_errors=True)
        (work / "fts5.sqlite3").unlink(missing_ok=True)
        whoosh_build = run_phase("whoosh-build", corpus=corpus, index=work / "whoosh")
        print(f"  Whoosh built in {whoosh_build['seconds']:.0f} s; querying ...", flush=True)
        whoosh_query = run_phase("whoosh-query", index=work / "whoosh", queries=queries)
        print("  building FTS5 ...", flush=True)
        fts_build = run_phase("fts5-build", corpus=corpus, database=work / "fts5.sqlite3")
        fts_query = run_phase("fts5-query", database=work / "fts5.sqlite3", queries=queries)
    report(arguments.docs, whoosh_build, whoosh_query, fts_build, fts_query, record=not arguments.tiny)


def report(docs, whoosh_build, whoosh_query, fts_build, fts_query, record: bool = True) -> None:
    whoosh = summarise(whoosh_query["latencies_ms"])
    fts = summarise(fts_query["latencies_ms"])
    print(f"\nSearch benchmark: {docs} documents, {QUERIES_PER_CATEGORY} queries per type, "
          f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}\n")
    print(f"{'':24}{'Whoosh (portal)':>18}{'FTS5 baseline':>18}{'ratio':>8}")
    for label, key in (("indexing, docs/s", "docs_per_second"), ("build peak memory, MB", "peak_rss_mb"),
                       ("index size, MB", "index_mb")):
        print(f"{label:24}{whoosh_build[key]:>18.0f}{fts_build[key]:>18.0f}{whoosh_build[key] / fts_build[key]:>8.2f}")
    print(f"{'search peak memory, MB':24}{whoosh_query['peak_rss_mb']:>18.0f}{fts_query['peak_rss_mb']:>18.0f}"
          f"{whoosh_query['peak_rss_mb'] / fts_query['peak_rss_mb']:>8.2f}")
    print(f"\n{'latency, ms':24}{'p50':>8}{'p95':>8}{'p99':>8}   {'FTS5 p50':>8}{'p95':>8}{'p99':>8}   {'p95 ratio':>9}")
    for category in [*CATEGORIES, "all queries"]:
        w, f = whoosh[category], fts[category]
        print(f"{category:24}{w['p50']:>8.1f}{w['p95']:>8.1f}{w['p99']:>8.1f}   "
              f"{f['p50']:>8.1f}{f['p95']:>8.1f}{f['p99']:>8.1f}   {w['p95'] / f['p95']:>9.2f}")
    print("\nmatches per type (Whoosh / FTS5): " + ", ".join(
        f"{c} {whoosh_query['matches'][c]}/{fts_query['matches'][c]}" for c in CATEGORIES))
    result = {"docs": docs, "whoosh_build": whoosh_build, "fts5_build": fts_build,
              "whoosh_latency_ms": whoosh, "fts5_latency_ms": fts,
              "whoosh_search_peak_rss_mb": whoosh_query["peak_rss_mb"],
              "fts5_search_peak_rss_mb": fts_query["peak_rss_mb"]}
    if record:
        (Path(__file__).parent / "last-run.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
