#!/usr/bin/env python3
"""Franchise families for the neighbour-quality benchmark (`recsys eval --neighbours`).

A family is an original film and its sequels; a model's neighbours of the original should find
them. Built from a MovieLens items file and its ratings by a rule, plus a hand list of the
franchises whose titles share no stem:

  * normalise a title: drop the year "(1995)" and alternate titles in parentheses, move a
    trailing article back ("Godfather, The" -> "the godfather"), lower-case, drop a leading
    article;
  * a title's *stem* is the part before the first ":" with a trailing sequel marker removed
    (a number "2", "3-D", a roman numeral "II".."VI", "Part II");
  * an *original* is a film whose whole normalised title is a stem and carries no marker and
    no ":"; its *sequels* are the later films with the same stem and a marker or a ":";
  * both the original and a sequel need at least --min-ratings ratings (default 20); a family
    needs at least one sequel.

Usage: franchises.py ITEMS RATINGS [--min-ratings 20] [--hand] > FAMILIES.tsv
ITEMS: u.item (`id|title|...`, latin-1) or movies.csv (`movieId,title,genres`);
RATINGS: u.data (tab) or ratings.csv. Output: `original<TAB>sequel,sequel<TAB>titles`.
"""
import argparse
import csv
import re
import sys
from collections import Counter, defaultdict

# Franchises whose titles share no stem, by title as MovieLens writes it (without the year).
# Each: (original, [sequels], reason).
HAND = [
    ("Star Wars", ["Empire Strikes Back, The", "Return of the Jedi",
                   "Star Wars: Episode V - The Empire Strikes Back",
                   "Star Wars: Episode VI - Return of the Jedi"],
     "the sequels' titles do not repeat 'Star Wars' in MovieLens 100K"),
    ("Star Wars: Episode IV - A New Hope", ["Star Wars: Episode V - The Empire Strikes Back",
                                            "Star Wars: Episode VI - Return of the Jedi"],
     "the original carries a subtitle, so the rule does not take it as an original"),
    ("Raiders of the Lost Ark", ["Indiana Jones and the Temple of Doom",
                                 "Indiana Jones and the Last Crusade",
                                 "Raiders of the Lost Ark (Indiana Jones and the Raiders of the Lost Ark)"],
     "Indiana Jones films are named after Indy, the first after the ark"),
    ("Star Trek: The Motion Picture", ["Star Trek: The Wrath of Khan", "Star Trek II: The Wrath of Khan",
                                       "Star Trek III: The Search for Spock",
                                       "Star Trek IV: The Voyage Home", "Star Trek V: The Final Frontier",
                                       "Star Trek VI: The Undiscovered Country", "Star Trek: Generations",
                                       "Star Trek: First Contact", "Star Trek: Insurrection"],
     "the original carries a subtitle"),
    ("Batman", ["Batman Returns", "Batman Forever", "Batman & Robin"],
     "sequel titles extend the name instead of numbering it"),
    ("Alien", ["Aliens"], "'Aliens' is the plural, not a marked sequel (Alien 3 and Resurrection follow the rule)"),
    ("Jurassic Park", ["Lost World: Jurassic Park, The", "Jurassic Park III"],
     "the sequel's stem is 'The Lost World'"),
    ("Ace Ventura: Pet Detective", ["Ace Ventura: When Nature Calls"], "the original carries a subtitle"),
    ("Mighty Ducks, The", ["D2: The Mighty Ducks", "D3: The Mighty Ducks"], "sequels are named D2, D3"),
    ("Naked Gun: From the Files of Police Squad!, The",
     ["Naked Gun 2 1/2: The Smell of Fear, The", "Naked Gun 33 1/3: The Final Insult"],
     "fractional numbering"),
    ("Homeward Bound: The Incredible Journey", ["Homeward Bound II: Lost in San Francisco"],
     "the original carries a subtitle"),
]

# Originals the rule finds that are not the sequels' original, with the title as MovieLens
# writes it (with the year) and the reason.
EXCLUDE = {
    "Father of the Bride (1950)": "Part II (1995) follows the 1991 remake, not the 1950 film",
}

ROMAN = r"(?:ii|iii|iv|v|vi)"
MARKER = re.compile(r"\s+(?:part\s+(?:\d+|" + ROMAN + r")|\d+(?:-d)?|" + ROMAN + r"|3-d)$")


def strip_year(t):
    t = t.strip()
    t = re.sub(r"\s*\((?:\d{4}(?:-\d{4})?)\)\s*$", "", t)
    return t


def normalise(t):
    t = strip_year(t)
    t = re.sub(r"\s*\([^)]*\)\s*$", "", t)  # "(a.k.a. ...)" or an original-language title
    # "Godfather: Part II, The" -> "The Godfather: Part II"
    m = re.match(r"^(.*?), (the|a|an|les|la|le|il|das|der|die|el)(:.*)?$", t, re.I)
    if m:
        t = f"{m.group(2)} {m.group(1)}{m.group(3) or ''}"
    t = t.lower()
    t = re.sub(r"^(the|a|an) ", "", t)
    return re.sub(r"\s+", " ", t).strip()


def stem(n):
    """(stem, marked) of a normalised title."""
    head, colon, _ = n.partition(":")
    head = head.strip()
    m = MARKER.search(head)
    if m:
        return head[: m.start()].strip(), True
    return head, bool(colon)


def year(t):
    m = re.search(r"\((\d{4})\)\s*$", t.strip())
    return int(m.group(1)) if m else None


def read(items_path, ratings_path):
    titles = {}
    if items_path.endswith(".csv"):
        with open(items_path, newline="", encoding="utf-8") as f:
            r = csv.reader(f)
            next(r)
            for row in r:
                titles[row[0]] = row[1]
    else:
        with open(items_path, encoding="latin-1") as f:
            for line in f:
                p = line.rstrip("\n").split("|")
                if len(p) > 1:
                    titles[p[0]] = p[1]
    counts = Counter()
    with open(ratings_path, encoding="utf-8") as f:
        if ratings_path.endswith(".csv"):
            r = csv.reader(f)
            next(r)
            for row in r:
                counts[row[1]] += 1
        else:
            for line in f:
                p = line.split("\t" if "\t" in line else "::")
                if len(p) > 1:
                    counts[p[1]] += 1
    return titles, counts


def families(titles, counts, min_ratings=20, hand=True):
    by_stem = defaultdict(list)
    for k, t in titles.items():
        s, marked = stem(normalise(t))
        by_stem[s].append((k, t, marked))
    out = {}
    for s, films in by_stem.items():
        originals = [f for f in films if not f[2] and normalise(f[1]) == s]
        for ok, ot, _ in originals:
            oy = year(ot)
            seq = [k for k, t, marked in films
                   if marked and k != ok and (year(t) or 0) > (oy or 0)]
            out[ok] = (seq, "rule")
    if hand:
        by_title = defaultdict(list)
        for k, t in titles.items():
            by_title[strip_year(t)].append(k)
        for orig, seqs, why in HAND:
            for ok in by_title.get(orig, []):
                ks = [k for s in seqs for k in by_title.get(s, [])]
                old = out.get(ok, ([], ""))[0]
                out[ok] = (sorted(set(old) | set(ks), key=lambda k: (year(titles[k]) or 0, k)),
                           "hand: " + why)
    rows = []
    for ok, (seq, why) in out.items():
        if counts[ok] < min_ratings or titles[ok].strip() in EXCLUDE:
            continue
        seq = [k for k in seq if counts[k] >= min_ratings]
        if seq:
            rows.append((ok, seq, why))
    rows.sort(key=lambda r: (strip_year(titles[r[0]]).lower(), r[0]))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("items")
    ap.add_argument("ratings")
    ap.add_argument("--min-ratings", type=int, default=20)
    ap.add_argument("--no-hand", action="store_true")
    a = ap.parse_args()
    titles, counts = read(a.items, a.ratings)
    rows = families(titles, counts, a.min_ratings, not a.no_hand)
    print("# original\tsequels\tnote (franchises.py: rule + hand list; titles for reading only)")
    for ok, seq, why in rows:
        names = " | ".join([titles[ok]] + [titles[k] for k in seq])
        print(f"{ok}\t{','.join(seq)}\t{why}: {names}")
    print(f"# {len(rows)} families", file=sys.stderr)


if __name__ == "__main__":
    main()
