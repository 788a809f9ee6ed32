# fannkuch-redux: the maximum number of pancake flips over all permutations
# of 0..n-1, and a checksum.
#
# A translation into Python of this suite's memo and Lua ports
# (fannkuch_redux.memo, fannkuch_redux.lua), written for this suite; the
# program follows the Computer Language Benchmarks Game's fannkuch-redux
# benchmark, single-threaded (no code from it is copied here). Flips and
# rotations are slice assignments on Python lists.

N = 9
REPEAT = 3


def fannkuch(n):
    max_flips = 0
    perm_sign = True
    checksum = 0

    perm1 = list(range(n))
    count = list(range(n))
    nm = n - 1
    while True:
        k = perm1[0]
        if k:
            perm = perm1[:]
            flips = 1
            kk = perm[k]
            while kk:
                perm[:k + 1] = perm[k::-1]
                flips += 1
                k = kk
                kk = perm[kk]
            if max_flips < flips:
                max_flips = flips
            checksum += flips if perm_sign else -flips

        # the next permutation, by an incremental change
        if perm_sign:
            perm1[0], perm1[1] = perm1[1], perm1[0]
            perm_sign = False
        else:
            perm1[1], perm1[2] = perm1[2], perm1[1]
            perm_sign = True
            for r in range(2, n - 1):
                if count[r]:
                    break
                count[r] = r
                perm0 = perm1[0]
                perm1[:r + 1] = perm1[1:r + 2]
                perm1[r + 1] = perm0
            else:
                r = nm
                if not count[r]:
                    print(checksum)
                    return max_flips
            count[r] -= 1


for _ in range(REPEAT):
    print(f"Pfannkuchen({N}) = {fannkuch(N)}")
