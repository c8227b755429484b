// Docker's `--user` rules: names resolve through the image's /etc/passwd and
// /etc/group; numeric IDs need no entry; supplementary groups come from
// /etc/group membership.
export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

export function parsePasswd(text: string): PasswdEntry[] {
  return text.split('\n').flatMap((line) => {
    const f = line.split(':');
    if (f.length < 7 || line.startsWith('#')) return [];
    return [{ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! }];
  });
}

export function parseGroup(text: string): GroupEntry[] {
  return text.split('\n').flatMap((line) => {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#')) return [];
    return [{ name: f[0]!, gid: Number(f[2]), members: f[3]!.split(',').filter(Boolean) }];
  });
}

const isNum = (s: string): boolean => /^\d+$/.test(s);

export function resolveUser(spec: string, passwdText: string, groupText: string, extraGroups: string[] = []): ResolvedUser {
  const passwd = parsePasswd(passwdText);
  const groups = parseGroup(groupText);
  const [userPart = '', groupPart] = spec.split(':', 2) as [string, string | undefined];
  const u = userPart === '' ? passwd.find((p) => p.uid === 0) ?? { name: 'root', uid: 0, gid: 0, home: '/root' } :
    isNum(userPart) ? passwd.find((p) => p.uid === Number(userPart)) ?? { name: '', uid: Number(userPart), gid: 0, home: '/' } :
    passwd.find((p) => p.name === userPart);
  if (!u) throw new Error(`unable to find user ${userPart}: no matching entries in passwd file`);
  if (u.uid > 0x7fffffff) throw new Error(`uid ${u.uid} is out of range`);
  let gid = userPart === '' ? 0 : u.gid;
  if (groupPart !== undefined && groupPart !== '') {
    if (isNum(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw new Error(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = g.gid;
    }
  }
  const additional = !groupPart && u.name ? groups.filter((g) => g.members.includes(u.name) && g.gid !== gid).map((g) => g.gid) : [];
  for (const eg of extraGroups) {
    const g = isNum(eg) ? Number(eg) : groups.find((x) => x.name === eg)?.gid;
    if (g === undefined) throw new Error(`unable to find group ${eg}: no matching entries in group file`);
    if (!additional.includes(g)) additional.push(g);
  }
  return { uid: u.uid, gid, additionalGids: additional, home: u.home || '/' };
}
