// The admin console's users tab: add a class, groups, one account at a time, and the user list with a
// group filter, a selection and a bar of bulk actions (new cards, disable/enable, role, groups, delete).
import {
  ROLES,
  type AdminUser,
  type AdminUsersResponse,
  type BulkAction,
  type BulkResponse,
  type CardsResponse,
  type Group,
  type GroupsResponse,
  type Role,
} from '../../../daemon/src/api-types.js';
import { api } from '../api.js';
import { filesPath, type App } from '../app.js';
import { announce, h, replace } from '../dom.js';
import { fmtSize, t } from '../i18n/index.js';
import { classImportCard, showCards } from './class-cards.js';
import { confirmDialog, errorText, modal, promptDialog } from './dialogs.js';

const GB = 1000 ** 3;

export function usersTab(section: HTMLElement, app: App): () => void {
  const list = h('ul', { class: 'users' });
  const status = h('p', { role: 'status', id: 'users-status' });
  const count = h('p', { class: 'muted', id: 'users-count' }, t('loading'));
  /** The last list loaded (the filtered group's members, or everyone). */
  let users: AdminUser[] = [];
  let groups: Group[] = [];
  /** Selected usernames; kept across reloads while the accounts are still listed. */
  const selected = new Set<string>();
  /** The group the list is filtered by (its id), or null for everyone. */
  let filter: number | null = null;

  // ---- one account at a time ----
  const name = h('input', {
    id: 'nu-name',
    autocomplete: 'off',
    autocapitalize: 'none',
    required: true,
    pattern: '[A-Za-z0-9_\\-]{2,32}',
    'aria-describedby': 'nu-name-hint',
  });
  const pass = h('input', { id: 'nu-pass', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 });
  const role = h(
    'select',
    { id: 'nu-role' },
    ROLES.map((r) => h('option', { value: r }, t(`role_${r}`))),
  );
  const quota = h('input', { id: 'nu-quota', type: 'number', min: 0, step: 'any', inputmode: 'decimal', placeholder: t('noQuota') });
  const msg = h('p', { role: 'status', id: 'nu-msg' });
  const form = h(
    'form',
    { class: 'card grid-form', 'aria-labelledby': 'nu-title' },
    h('h2', { id: 'nu-title' }, t('createUser')),
    h('div', { class: 'field' }, h('label', { for: 'nu-name' }, t('username')), name, h('p', { class: 'hint', id: 'nu-name-hint' }, t('usernameRule'))),
    h('div', { class: 'field' }, h('label', { for: 'nu-pass' }, t('password')), pass, h('p', { class: 'hint' }, t('passwordRule'))),
    h('div', { class: 'field' }, h('label', { for: 'nu-role' }, t('role')), role),
    h('div', { class: 'field' }, h('label', { for: 'nu-quota' }, t('quotaGb')), quota),
    msg,
    h('button', { type: 'submit', class: 'btn primary' }, t('createUser')),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.className = 'error';
    try {
      const quotaBytes = quota.value === '' ? null : Math.round(Number(quota.value) * GB);
      await api('POST', '/api/admin/users', { username: name.value.trim(), password: pass.value, role: role.value, quotaBytes });
      msg.className = 'ok';
      msg.textContent = t('userCreated', { name: name.value.trim() });
      form.reset();
      await load();
    } catch (err) {
      msg.textContent = errorText(err);
    }
  });

  // ---- groups ----
  const groupList = h('ul', { class: 'groups', id: 'groups-list' });
  const groupMsg = h('p', { role: 'status', id: 'gr-msg' });
  const newGroup = h('input', { id: 'gr-name', autocomplete: 'off', required: true, maxlength: 60, placeholder: t('classGroupPlaceholder') });
  const groupForm = h(
    'form',
    { class: 'inline-form' },
    h('label', { for: 'gr-name' }, t('groupNew')),
    newGroup,
    h('button', { type: 'submit', class: 'btn' }, t('create')),
  );
  groupForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const g = await api<Group>('POST', '/api/admin/groups', { name: newGroup.value.trim() });
      groupMsg.className = 'ok';
      groupMsg.textContent = t('groupCreated', { name: g.name });
      groupForm.reset();
      await load();
    } catch (err) {
      groupMsg.className = 'error';
      groupMsg.textContent = errorText(err);
    }
  });
  const groupsCard = h(
    'section',
    { class: 'card stack', 'aria-labelledby': 'gr-title', id: 'groups' },
    h('h2', { id: 'gr-title' }, t('groups')),
    h('p', { class: 'hint' }, t('groupsHint')),
    groupList,
    groupForm,
    groupMsg,
  );

  function groupRow(g: Group) {
    return h(
      'li',
      { class: 'group-row', 'data-group': g.name },
      h('span', { class: 'group-name' }, g.name),
      h('span', { class: 'muted' }, t('memberCount', { n: g.members })),
      h(
        'span',
        { class: 'row-actions wrap' },
        h('button', { type: 'button', class: 'btn small', onclick: () => void setFilter(g.id) }, t('groupShow')),
        h('button', { type: 'button', class: 'btn small', onclick: () => renameGroup(g) }, t('rename')),
        h('button', { type: 'button', class: 'btn small danger', onclick: () => void deleteGroup(g) }, t('delete')),
      ),
    );
  }

  function renameGroup(g: Group) {
    promptDialog(t('groupRenameTitle', { name: g.name }), t('groupName'), g.name, {
      confirmLabel: t('rename'),
      submit: async (v) => {
        await api('PATCH', `/api/admin/groups/${g.id}`, { name: v.trim() });
        groupMsg.className = 'ok';
        groupMsg.textContent = t('groupRenamed', { name: v.trim() });
        await load();
      },
    });
  }

  async function deleteGroup(g: Group) {
    if (!(await confirmDialog(t('groupDeleteTitle', { name: g.name }), t('groupDeleteBody'), t('delete'), true))) return;
    try {
      await api('DELETE', `/api/admin/groups/${g.id}`);
      if (filter === g.id) filter = null;
      groupMsg.className = 'ok';
      groupMsg.textContent = t('groupDeleted', { name: g.name });
      await load();
    } catch (err) {
      groupMsg.className = 'error';
      groupMsg.textContent = errorText(err);
    }
  }

  // ---- the list: filter, selection, bulk bar ----
  const filterSel = h('select', { id: 'uf-group' });
  filterSel.addEventListener('change', () => void setFilter(filterSel.value === '' ? null : Number(filterSel.value)));
  const selAll = h('input', { type: 'checkbox', id: 'sel-all' });
  selAll.addEventListener('change', () => {
    for (const u of users) {
      if (selAll.checked) selected.add(u.username);
      else selected.delete(u.username);
    }
    syncSelection();
  });
  const toolbar = h(
    'div',
    { class: 'users-toolbar' },
    h('div', { class: 'field' }, h('label', { for: 'uf-group' }, t('groupFilter')), filterSel),
    h('label', { class: 'check', for: 'sel-all' }, selAll, ' ', t('selectAll')),
  );

  const barCount = h('strong', { id: 'bulk-count' });
  const barRole = h(
    'select',
    { id: 'bulk-role', 'aria-label': t('role') },
    ROLES.map((r) => h('option', { value: r }, t(`role_${r}`))),
  );
  const removeFromGroup = h('button', { type: 'button', class: 'btn small', onclick: () => void membership('remove') }, t('bulkRemoveFromGroup'));
  // On a phone the bar keeps to two rows: the lesson's actions, and "More" for role, groups and delete.
  const more = h('button', { type: 'button', class: 'btn small bulk-more', 'aria-expanded': 'false' }, t('bulkMore'));
  more.addEventListener('click', () => {
    const open = !bar.classList.contains('open');
    bar.classList.toggle('open', open);
    more.setAttribute('aria-expanded', String(open));
  });
  const bar = h(
    'div',
    { class: 'bulk-bar', role: 'region', 'aria-label': t('bulkActions'), hidden: true },
    h(
      'p',
      { class: 'bulk-what' },
      barCount,
      ' ',
      h('button', { type: 'button', class: 'link-btn', onclick: () => (selected.clear(), syncSelection()) }, t('bulkClear')),
    ),
    h(
      'div',
      { class: 'row-actions wrap' },
      h('button', { type: 'button', class: 'btn small primary', onclick: () => void bulk('new_cards') }, t('bulkNewCards')),
      h('button', { type: 'button', class: 'btn small', onclick: () => void bulk('disable') }, t('disable')),
      h('button', { type: 'button', class: 'btn small', onclick: () => void bulk('enable') }, t('enable')),
      more,
      h(
        'span',
        { class: 'bulk-extra' },
        h('span', { class: 'bulk-role' }, barRole, h('button', { type: 'button', class: 'btn small', onclick: () => void bulk('set_role') }, t('bulkSetRole'))),
        h('button', { type: 'button', class: 'btn small', onclick: () => void membership('add') }, t('bulkAddToGroup')),
        removeFromGroup,
        h('button', { type: 'button', class: 'btn small danger', onclick: () => void bulk('delete') }, t('delete')),
      ),
    ),
  );

  /** What a bulk action is sent for: the whole filtered group when every member is selected (so the audit names it), else the names. */
  function target(): { group: number } | { usernames: string[] } {
    const names = users.filter((u) => selected.has(u.username)).map((u) => u.username);
    if (filter !== null && users.length > 0 && names.length === users.length) return { group: filter };
    return { usernames: names };
  }

  function syncSelection() {
    for (const u of [...selected]) if (!users.some((x) => x.username === u)) selected.delete(u);
    for (const box of list.querySelectorAll<HTMLInputElement>('input.sel')) box.checked = selected.has(box.value);
    selAll.checked = users.length > 0 && selected.size === users.length;
    selAll.indeterminate = selected.size > 0 && selected.size < users.length;
    bar.hidden = selected.size === 0;
    const g = groups.find((x) => x.id === filter);
    barCount.textContent =
      g && selected.size === users.length ? t('bulkWholeGroup', { n: selected.size, group: g.name }) : t('bulkSelected', { n: selected.size });
    removeFromGroup.hidden = g === undefined;
  }

  async function setFilter(id: number | null) {
    filter = id;
    selected.clear();
    await load();
    filterSel.focus();
  }

  async function load() {
    try {
      const [u, g] = await Promise.all([
        api<AdminUsersResponse>('GET', `/api/admin/users${filter === null ? '' : `?group=${filter}`}`),
        api<GroupsResponse>('GET', '/api/admin/groups'),
      ]);
      users = u.users;
      groups = g.groups;
    } catch (err) {
      count.textContent = errorText(err);
      return;
    }
    if (filter !== null && !groups.some((g) => g.id === filter)) filter = null;
    replace(
      filterSel,
      h('option', { value: '' }, t('groupAll')),
      groups.map((g) => h('option', { value: String(g.id), selected: g.id === filter }, `${g.name} (${g.members})`)),
    );
    replace(groupList, groups.length ? groups.map(groupRow) : h('li', { class: 'muted' }, t('groupsNone')));
    count.textContent = t('userCount', { n: users.length });
    replace(list, users.map(userRow));
    syncSelection();
  }

  // The list first, then the words: "2 comptes supprimés." never shows above a list that still has them.
  const done = async (text: string) => {
    await load();
    status.textContent = text;
    announce(text);
  };
  const failed = async (err: unknown) => {
    status.textContent = errorText(err);
    announce(status.textContent);
    await load();
  };

  async function bulk(action: BulkAction) {
    const chosen = users.filter((u) => selected.has(u.username));
    const n = chosen.length;
    if (n === 0) return;
    if (action === 'new_cards') {
      const admins = chosen.filter((u) => u.role === 'admin').map((u) => u.username);
      if (admins.length) {
        status.textContent = t('bulkNoCardsForAdmins', { names: admins.join(', ') });
        announce(status.textContent);
        return;
      }
      if (!(await confirmDialog(t('bulkNewCardsTitle', { n }), t('bulkNewCardsBody'), t('bulkNewCards')))) return;
    }
    if (action === 'disable' && !(await confirmDialog(t('bulkDisableTitle', { n }), t('bulkDisableBody'), t('disable')))) return;
    if (action === 'delete' && !(await confirmDialog(t('bulkDeleteTitle', { n }), t('bulkDeleteBody'), t('delete'), true))) return;
    const body = { action, ...target(), ...(action === 'set_role' ? { role: barRole.value } : {}) };
    try {
      const r = await api<BulkResponse | CardsResponse>('POST', '/api/admin/users/bulk', body);
      selected.clear();
      if (action === 'new_cards') {
        await done(t('bulkDone_new_cards', { n: r.count }));
        showCards(r as CardsResponse);
        return;
      }
      const words =
        action === 'set_role' ? t('bulkDone_set_role', { n: r.count, role: t(`role_${barRole.value as Role}`) }) : t(`bulkDone_${action}`, { n: r.count });
      if (chosen.some((u) => u.username === app.me?.username)) await app.refreshMe();
      await done(words);
    } catch (err) {
      await failed(err);
    }
  }

  /** Adds the selection to a group (chosen or new) or removes it from the filtered group. */
  async function membership(op: 'add' | 'remove') {
    const names = users.filter((u) => selected.has(u.username)).map((u) => u.username);
    if (names.length === 0) return;
    if (op === 'remove') {
      const g = groups.find((x) => x.id === filter);
      if (!g) return;
      try {
        await api('PATCH', `/api/admin/groups/${g.id}`, { remove: names });
        selected.clear();
        await done(t('bulkRemovedFromGroup', { n: names.length, group: g.name }));
      } catch (err) {
        await failed(err);
      }
      return;
    }
    // Add: pick an existing group or name a new one.
    const pick = h(
      'select',
      { id: 'ag-group' },
      groups.map((g) => h('option', { value: String(g.id) }, g.name)),
      h('option', { value: 'new' }, t('groupNewOption')),
    );
    const fresh = h('input', { id: 'ag-new', autocomplete: 'off', maxlength: 60, placeholder: t('classGroupPlaceholder') });
    const freshField = h('div', { class: 'field' }, h('label', { for: 'ag-new' }, t('groupName')), fresh);
    const error = h('p', { class: 'error', role: 'alert' });
    const sync = () => (freshField.hidden = pick.value !== 'new');
    pick.addEventListener('change', sync);
    const f = h(
      'form',
      { class: 'stack' },
      h('div', { class: 'field' }, h('label', { for: 'ag-group' }, t('groupPick')), pick),
      freshField,
      error,
      h(
        'div',
        { class: 'dlg-actions' },
        h('button', { type: 'button', class: 'btn', onclick: () => m.close() }, t('cancel')),
        h('button', { type: 'submit', class: 'btn primary' }, t('bulkAddToGroup')),
      ),
    );
    f.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        let g = groups.find((x) => String(x.id) === pick.value);
        if (!g) g = await api<Group>('POST', '/api/admin/groups', { name: fresh.value.trim() });
        await api('PATCH', `/api/admin/groups/${g.id}`, { add: names });
        m.close();
        selected.clear();
        await done(t('bulkAddedToGroup', { n: names.length, group: g.name }));
      } catch (err) {
        error.textContent = errorText(err);
      }
    });
    const m = modal(t('bulkAddToGroupTitle', { n: names.length }), [f]);
    sync();
    (groups.length ? pick : fresh).focus();
  }

  const patch = async (u: AdminUser, body: Record<string, unknown>, words: string) => {
    try {
      await api('PATCH', `/api/admin/users/${encodeURIComponent(u.username)}`, body);
      if (u.username === app.me?.username) await app.refreshMe();
      await done(words);
    } catch (err) {
      await failed(err);
    }
  };

  function userRow(u: AdminUser) {
    const id = `u-${u.username}`;
    const roleSel = h(
      'select',
      { id: `${id}-role` },
      ROLES.map((r) => h('option', { value: r, selected: r === u.role }, t(`role_${r}`))),
    );
    roleSel.addEventListener('change', () =>
      patch(u, { role: roleSel.value }, t('roleChanged', { name: u.username, role: t(`role_${roleSel.value as Role}`) })),
    );
    const box = h('input', { type: 'checkbox', class: 'sel', value: u.username, id: `${id}-sel`, checked: selected.has(u.username) });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(u.username);
      else selected.delete(u.username);
      syncSelection();
    });
    const usage =
      u.quotaBytes === null ? t('usedNoQuota', { used: fmtSize(u.usedBytes) }) : t('usedOfQuota', { used: fmtSize(u.usedBytes), quota: fmtSize(u.quotaBytes) });
    return h(
      'li',
      { class: `card user${u.disabled ? ' disabled' : ''}`, 'data-user': u.username },
      h(
        'div',
        { class: 'user-head' },
        box,
        h('h3', null, h('label', { for: `${id}-sel` }, u.username)),
        u.displayName && u.displayName !== u.username ? h('span', { class: 'muted' }, u.displayName) : null,
        u.disabled ? h('span', { class: 'badge' }, t('disabled')) : null,
        u.username === app.me?.username ? h('span', { class: 'badge me-badge' }, t('you')) : null,
        u.groups.map((g) => h('span', { class: 'badge group' }, g.name)),
      ),
      h('p', { class: 'meta' }, `${t(`role_${u.role}`)} · ${usage} · ${t('fileCount', { n: u.files })}`),
      h(
        'div',
        { class: 'user-controls' },
        h('label', { for: `${id}-role` }, t('role')),
        roleSel,
        h('button', { type: 'button', class: 'btn small', onclick: () => setQuota(u) }, t('setQuota')),
        h('button', { type: 'button', class: 'btn small', onclick: () => resetPassword(u) }, t('resetPassword')),
        h(
          'button',
          {
            type: 'button',
            class: 'btn small',
            onclick: () => patch(u, { disabled: !u.disabled }, t(u.disabled ? 'userEnabled' : 'userDisabled', { name: u.username })),
          },
          u.disabled ? t('enable') : t('disable'),
        ),
        u.role !== 'user' ? h('a', { class: 'btn small', href: filesPath(`users/${u.username}`, []), 'data-nav': '' }, t('openContainer')) : null,
        h('button', { type: 'button', class: 'btn small danger', onclick: () => removeUser(u) }, t('delete')),
      ),
    );
  }

  function setQuota(u: AdminUser) {
    promptDialog(t('quotaFor', { name: u.username }), t('quotaGb'), u.quotaBytes === null ? '' : String(u.quotaBytes / GB), {
      type: 'number',
      hint: t('quotaHint'),
      validate: (v) => (v === '' || (Number.isFinite(Number(v)) && Number(v) >= 0) ? null : t('err_invalid_quota')),
      submit: async (v) => {
        await api('PATCH', `/api/admin/users/${encodeURIComponent(u.username)}`, { quotaBytes: v === '' ? null : Math.round(Number(v) * GB) });
        status.textContent = t('quotaChanged', { name: u.username });
        await load();
      },
    });
    // An empty value removes the quota: allowed, unlike other prompts.
    const input = document.getElementById('dlg-input') as HTMLInputElement | null;
    input?.removeAttribute('required');
  }

  function resetPassword(u: AdminUser) {
    promptDialog(t('resetPasswordFor', { name: u.username }), t('newPassword'), '', {
      type: 'text',
      autocomplete: 'new-password',
      hint: t('resetPasswordHint'),
      confirmLabel: t('resetPassword'),
      submit: async (v) => {
        await api('PATCH', `/api/admin/users/${encodeURIComponent(u.username)}`, { password: v });
        status.textContent = t('passwordReset', { name: u.username });
      },
    });
  }

  async function removeUser(u: AdminUser) {
    if (!(await confirmDialog(t('deleteUserTitle', { name: u.username }), t('deleteUserBody'), t('delete'), true))) return;
    try {
      await api('DELETE', `/api/admin/users/${encodeURIComponent(u.username)}`);
      selected.delete(u.username);
      await done(t('userDeleted', { name: u.username }));
    } catch (err) {
      await failed(err);
    }
  }

  replace(
    section,
    h('h2', { class: 'visually-hidden' }, t('tab_users')),
    classImportCard(() => void load()),
    groupsCard,
    form,
    h('h2', { id: 'ul-title', class: 'list-title' }, t('userList')),
    toolbar,
    count,
    status,
    list,
    bar,
  );
  void load();
  return () => {};
}
