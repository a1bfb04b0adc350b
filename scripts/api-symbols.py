#!/usr/bin/env python3
# Counts the public symbols of PGWire and PGEventStore and lists those without a doc comment,
# from the symbol graphs of `swift package dump-symbol-graph --minimum-access-level public`
# (SPI symbols are not in them). `v` lists the undocumented ones; `--strict` exits 1 if any.
import json,sys,glob,collections,os
root=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
graphs=glob.glob(os.path.join(root,".build","*","symbolgraph"))
if not graphs: sys.exit("no symbol graphs: run swift package dump-symbol-graph --minimum-access-level public")
graph=graphs[0]
missing=0
for mod in ["PGWire","PGEventStore"]:
    files=glob.glob(os.path.join(graph,f"{mod}.symbols.json"))+glob.glob(os.path.join(graph,f"{mod}@*.symbols.json"))
    syms=[];undoc=[]
    for f in files:
        d=json.load(open(f))
        for s in d["symbols"]:
            if s.get("accessLevel") not in ("public","open") or s.get("spi"): continue
            # skip synthesized / implicit
            if s["identifier"]["precise"].startswith("s:") and "::SYNTHESIZED::" in s["identifier"]["precise"]: continue
            syms.append(s)
            if not s.get("docComment"): undoc.append(".".join(s["pathComponents"])+"  ["+s["kind"]["identifier"]+"]")
    kinds=collections.Counter(s["kind"]["identifier"] for s in syms)
    print(mod,len(syms),"undocumented",len(undoc),dict(kinds))
    missing+=len(undoc)
    if "v" in sys.argv[1:]:
        for u in sorted(undoc): print("   ",u)
if "--strict" in sys.argv[1:] and missing: sys.exit(f"{missing} public symbols have no doc comment")
