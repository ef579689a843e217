/** The `?` overlay: every keyboard shortcut on one page. */
import { Dialog } from './Dialog.js';
import { SHORTCUT_HELP } from './keyboard.js';

export function ShortcutsHelp({ onClose }: { onClose: () => void }) {
  return (
    <Dialog label="Keyboard shortcuts" onClose={onClose} className="shortcuts-dialog" heading>
      <table className="shortcuts">
        <tbody>
          {SHORTCUT_HELP.map((s) => (
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
      </table>
    </Dialog>
  );
}
