"""Writes the table of the cache-storage benchmark: N rows, 4 columns
(an int id, a name, a float score, a category out of 8), ~6 MB for
200,000 rows. Deterministic (a fixed seed)."""
import random, sys

def main(path, n):
    rnd = random.Random(15)
    cats = ["north", "south", "east", "west", "center", "harbor", "hills", "plains"]
    with open(path, "w") as f:
        f.write("id,name,score,category\n")
        for i in range(n):
            f.write(f"{i},user_{rnd.randrange(10**6):06d},{rnd.random() * 1000:.3f},{rnd.choice(cats)}\n")

if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 200_000)
