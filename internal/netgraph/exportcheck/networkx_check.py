#!/usr/bin/python3
"""Research interoperability check: load Kokeilu's graph exports with
NetworkX and compare them with the API's answers on the same filter.

Usage: networkx_check.py CASE_DIR...

Each CASE_DIR holds graph.graphml, graph.gexf, graph.zip (nodes.csv,
edges.csv, datapackage.json) and api.json, written by the Go test
TestGraphExportsNetworkX (internal/server): the networkGraph answer (nodes
with attributes, edges with ids) and the DEGREE and PAGERANK scores of every
node. For each format the script checks node and edge counts, node ids and
attributes (typed: codes stay strings, population is an integer), edge ids,
ends, kinds and weights, each node's degree (distinct neighbours) and
PageRank computed by NetworkX. Exit status: 0 all agree, 1 a mismatch
(printed), 3 NetworkX is missing.
"""
import csv
import io
import json
import math
import os
import sys
import zipfile

try:
    import networkx as nx
except ImportError:
    print("networkx is not installed (Debian: python3-networkx)", file=sys.stderr)
    sys.exit(3)

TYPED = {"population": int, "latitude": float, "longitude": float}


class Mismatch(Exception):
    pass


def expect(cond, msg):
    if not cond:
        raise Mismatch(msg)


def api_graph(api):
    """Nodes {id: attrs} and edges {id: (ends, kind, weight)} as the API gave them."""
    nodes = {}
    for n in api["nodes"]:
        attrs = {"type": n["type"], "label": n["label"]}
        for a in n["attributes"]:
            attrs[a["key"]] = TYPED.get(a["key"], str)(a["value"])
        nodes[n["id"]] = attrs
    edges = {}
    for e in api["edges"]:
        edges[e["id"]] = (frozenset((e["source"], e["target"])), e["kind"], float(e["weight"]))
    return nodes, edges


def edge_items(g):
    """(id, u, v, data) of every edge of a Graph or MultiGraph read from a file."""
    if g.is_multigraph():
        for u, v, key, d in g.edges(keys=True, data=True):
            yield d.get("id", key), u, v, d
    else:
        for u, v, d in g.edges(data=True):
            yield d.get("id"), u, v, d


def compare(fmt, g, nodes, edges, degree, pagerank):
    expect(not g.is_directed(), f"{fmt}: read as a directed graph; the export must declare undirected")
    expect(g.number_of_nodes() == len(nodes), f"{fmt}: {g.number_of_nodes()} nodes, API {len(nodes)}")
    expect(g.number_of_edges() == len(edges), f"{fmt}: {g.number_of_edges()} edges, API {len(edges)}")
    for nid, want in nodes.items():
        expect(nid in g, f"{fmt}: node {nid} missing")
        got = g.nodes[nid]
        for key, value in want.items():
            expect(key in got, f"{fmt}: node {nid} lacks {key} ({value!r})")
            expect(got[key] == value and type(got[key]) is type(value),
                   f"{fmt}: node {nid} {key} = {got[key]!r} ({type(got[key]).__name__}), API {value!r}")
    seen = set()
    for eid, u, v, d in edge_items(g):
        expect(eid in edges, f"{fmt}: edge id {eid!r} is not the API's")
        expect(eid not in seen, f"{fmt}: edge id {eid!r} twice")
        seen.add(eid)
        ends, kind, weight = edges[eid]
        expect(frozenset((u, v)) == ends, f"{fmt}: edge {eid} ends {u},{v}")
        expect(d.get("kind", d.get("label")) == kind, f"{fmt}: edge {eid} kind {d.get('kind')!r}, API {kind}")
        expect(float(d["weight"]) == weight, f"{fmt}: edge {eid} weight {d['weight']!r}, API {weight}")
    # Degree: distinct neighbours.
    for nid in nodes:
        expect(len(g[nid]) == degree[nid], f"{fmt}: degree of {nid} {len(g[nid])}, API {degree[nid]}")
    # PageRank over tie strengths: parallel edges summed, a weight of 0 counting as 1.
    h = nx.Graph()
    h.add_nodes_from(g.nodes)
    for _, u, v, d in edge_items(g):
        if u == v:
            continue
        w = float(d["weight"]) or 1.0
        if h.has_edge(u, v):
            h[u][v]["weight"] += w
        else:
            h.add_edge(u, v, weight=w)
    if h.number_of_nodes() == 0:
        return 0.0
    try:
        pr = nx.pagerank(h, alpha=0.85, tol=1e-13, max_iter=10000, weight="weight")
    except (ImportError, ModuleNotFoundError):  # nx.pagerank needs SciPy; this is NetworkX's pure-Python one
        from networkx.algorithms.link_analysis.pagerank_alg import _pagerank_python
        pr = _pagerank_python(h, alpha=0.85, tol=1e-13, max_iter=10000, weight="weight")
    worst = 0.0
    for nid in nodes:
        worst = max(worst, abs(pr[nid] - pagerank[nid]))
    expect(worst <= 1e-9, f"{fmt}: PageRank differs by {worst:.3g}")
    return worst


def read_datapackage(path):
    """nodes.csv and edges.csv typed by datapackage.json, as a MultiGraph."""
    z = zipfile.ZipFile(path)
    pkg = json.loads(z.read("datapackage.json"))
    cast = {"string": str, "integer": int, "number": float, "date": str}
    tables = {}
    for res in pkg["resources"]:
        fields = res["schema"]["fields"]
        rows = list(csv.reader(io.TextIOWrapper(z.open(res["path"]), encoding="utf-8", newline="")))
        expect(rows[0] == [f["name"] for f in fields], f"csv: {res['path']} header {rows[0]} is not the package's")
        table = []
        for row in rows[1:]:
            rec = {}
            for f, cell in zip(fields, row):
                if cell != "":
                    rec[f["name"]] = cast[f["type"]](cell)
            table.append(rec)
        tables[res["name"]] = table
    g = nx.MultiGraph()
    for rec in tables["nodes"]:
        g.add_node(rec.pop("id"), **rec)
    for rec in tables["edges"]:
        g.add_edge(rec.pop("source"), rec.pop("target"), key=rec["id"], **rec)
    return g


def check(case):
    with open(os.path.join(case, "api.json"), encoding="utf-8") as f:
        api = json.load(f)
    nodes, edges = api_graph(api["graph"])
    degree = {s["node"]["id"]: s["score"] for s in api["degree"]}
    pagerank = {s["node"]["id"]: s["score"] for s in api["pagerank"]}
    expect(len(degree) == len(nodes) and len(pagerank) == len(nodes), "api.json: scores do not cover every node")
    report = []
    for fmt, load in (("graphml", lambda: nx.read_graphml(os.path.join(case, "graph.graphml"))),
                      ("gexf", lambda: nx.read_gexf(os.path.join(case, "graph.gexf"))),
                      ("csv+datapackage", lambda: read_datapackage(os.path.join(case, "graph.zip")))):
        worst = compare(fmt, load(), nodes, edges, degree, pagerank)
        report.append(f"{fmt} ok (PageRank max diff {worst:.2g})")
    print(f"{os.path.basename(case)}: {len(nodes)} nodes, {len(edges)} edges: " + "; ".join(report))


def main():
    print(f"networkx {nx.__version__}")
    failed = False
    for case in sys.argv[1:]:
        try:
            check(case)
        except Mismatch as e:
            print(f"{os.path.basename(case)}: MISMATCH {e}")
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
