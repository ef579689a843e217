/** The `?` overlay: every keyboard shortcut on one page, in groups (reading, filing, writing, the window). */
import { Dialog } from './Dialog.js';
import { SHORTCUT_HELP } from './keyboard.js';

const GROUPS = [...new Set(SHORTCUT_HELP.map((s) => s.group))];

export function ShortcutsHelp({ onClose }: { onClose: () => void }) {
  return (
    <Dialog label="Keyboard shortcuts" onClose={onClose} className="shortcuts-dialog" heading>
      <table className="shortcuts">
        {GROUPS.map((group) => (
          <tbody key={group}>
            <tr>
              <th scope="colgroup" colSpan={2} className="shortcuts-group">
                {group}
              </th>
            </tr>
            {SHORTCUT_HELP.filter((s) => s.group === group).map((s) => (
              <tr key={s.what}>
                <th scope="row">
                  {s.keys.map((k, i) => (
                    <span key={k}>
                      {i > 0 && ' or '}
                      <kbd>{k}</kbd>
                    </span>
                  ))}
                </th>
                <td>{s.what}</td>
              </tr>
            ))}
          </tbody>
        ))}
      </table>
    </Dialog>
  );
}
