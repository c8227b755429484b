// OCI image-spec (config.md, "Layer ChainID"):
//   ChainID(L₀) = DiffID(L₀)
//   ChainID(L₀|…|Lₙ) = Digest(ChainID(L₀|…|Lₙ₋₁) + " " + DiffID(Lₙ))
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chainIds } from '../../src/image/chain.ts';

// DiffIDs sha256("layer0"), sha256("layer1"), sha256("layer2"); expected chain IDs computed
// independently (Python hashlib) from the spec's formula.
const D0 = 'sha256:4fbec69b941195fd56f8212a5000e304129451d82efca94ff0e0fb2d5355472e';
const D1 = 'sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2';
const D2 = 'sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06';
const C1 = 'sha256:ef232af0eb422cdfd7917631657cd8ed2bfd5b9461b37c427aa0d3e0a19adf79';
const C2 = 'sha256:7ad3896338947cc04ee0b35b50d400ff32538d63f42f85ec87feac78bf71a54d';

test('chainIds: no layers, no chain', () => {
  assert.deepEqual(chainIds([]), []);
});

test('chainIds: the first chain ID is the first DiffID', () => {
  assert.deepEqual(chainIds([D0]), [D0]);
});

test('chainIds: each next ID hashes the previous chain ID, a space and the DiffID', () => {
  assert.deepEqual(chainIds([D0, D1]), [D0, C1]);
  assert.deepEqual(chainIds([D0, D1, D2]), [D0, C1, C2]);
});

test('chainIds: order matters and a prefix gives a prefix of the chain', () => {
  const swapped = chainIds([D1, D0]);
  assert.equal(swapped[0], D1);
  assert.notEqual(swapped[1], C1);
  assert.deepEqual(chainIds([D0, D1, D2]).slice(0, 2), chainIds([D0, D1]));
});

test('chainIds: the same layer twice still gives distinct chain IDs', () => {
  const ids = chainIds([D0, D0, D0]);
  assert.equal(new Set(ids).size, 3);
  for (const id of ids) assert.match(id, /^sha256:[0-9a-f]{64}$/);
});
