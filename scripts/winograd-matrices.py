# Derives the Winograd F(m, r) transforms of assembly/winograd-transforms.ts by the Cook-Toom
# construction (as in Lavin's wincnn), in exact fractions, checks each against the direct
# correlation on random integers, and prints them. Run: python3 scripts/winograd-matrices.py
from fractions import Fraction as Fr
import itertools, random

def matmul(A, B):
    return [[sum(A[i][k]*B[k][j] for k in range(len(B))) for j in range(len(B[0]))] for i in range(len(A))]

def transpose(A):
    return [list(r) for r in zip(*A)]

def poly_mul(p, q):
    out = [Fr(0)]*(len(p)+len(q)-1)
    for i,a in enumerate(p):
        for j,b in enumerate(q):
            out[i+j] += a*b
    return out

def transforms(m, r, points):
    n = m + r - 1
    a = [Fr(p) for p in points]           # n-1 finite points, the last one is infinity
    assert len(a) == n - 1
    # f_i = prod_{j != i} (a_i - a_j)
    f = []
    for i in range(n-1):
        v = Fr(1)
        for j in range(n-1):
            if j != i: v *= a[i] - a[j]
        f.append(v)
    # AT (m x n): AT[i][j] = a_j^i, last column [0..0,1]
    AT = [[a[j]**i for j in range(n-1)] + [Fr(1) if i == m-1 else Fr(0)] for i in range(m)]
    # G (n x r): G[j][k] = a_j^k / f_j; last row [0..0,1]
    G = [[a[j]**k / f[j] for k in range(r)] for j in range(n-1)] + [[Fr(0)]*(r-1) + [Fr(1)]]
    # BT (n x n): row j < n-1: coefficients of L_j(x) = prod_{k != j} (x - a_k) (degree n-2), padded to n;
    # last row: coefficients of M(x) = prod_k (x - a_k) (degree n-1). Column index = power of x.
    BT = []
    for j in range(n-1):
        p = [Fr(1)]
        for k in range(n-1):
            if k != j: p = poly_mul(p, [-a[k], Fr(1)])
        BT.append(p + [Fr(0)]*(n-len(p)))
    p = [Fr(1)]
    for k in range(n-1): p = poly_mul(p, [-a[k], Fr(1)])
    BT.append(p)
    return AT, G, BT

def check(m, r, points):
    AT, G, BT = transforms(m, r, points)
    n = m + r - 1
    # 1-D check: y = AT [(G g) * (BT d)] equals the valid correlation y_i = sum_k d_{i+k} g_k
    for trial in range(20):
        d = [Fr(random.randint(-9, 9)) for _ in range(n)]
        g = [Fr(random.randint(-9, 9)) for _ in range(r)]
        Gg = [sum(G[i][k]*g[k] for k in range(r)) for i in range(n)]
        Bd = [sum(BT[i][k]*d[k] for k in range(n)) for i in range(n)]
        y = [sum(AT[i][j]*Gg[j]*Bd[j] for j in range(n)) for i in range(m)]
        want = [sum(d[i+k]*g[k] for k in range(r)) for i in range(m)]
        if y != want: return False, (y, want)
    return True, None

for (m, r, pts) in [(2, 3, [0, 1, -1]), (4, 3, [0, 1, -1, 2, -2]), (2, 5, [0, 1, -1, 2, -2]), (3, 5, [0, 1, -1, 2, -2, Fr(1,2)])]:
    ok, info = check(m, r, pts)
    print(f'F({m},{r}) points {pts}: {"ok" if ok else "WRONG " + str(info)}')

def fmt(M):
    return ', '.join(repr(float(x)) for row in M for x in row)
for (m, r, pts) in [(2, 3, [0, 1, -1]), (4, 3, [0, 1, -1, 2, -2]), (2, 5, [0, 1, -1, 2, -2])]:
    AT, G, BT = transforms(m, r, pts)
    print(f'// F({m}x{m}, {r}x{r})')
    print('AT', fmt(AT)); print('G', fmt(G)); print('BT', fmt(BT))
