'use strict';
// An autocomplete box (select2) is named after its field's label: select2 names its combobox by
// the chosen value only, so an empty one had no name for a screen reader. Runs once the admin's
// autocomplete.js has built the boxes (on DOMContentLoaded).
window.addEventListener('load', function() {
    document.querySelectorAll('select.admin-autocomplete').forEach(function(select) {
        const label = document.querySelector('label[for="' + select.id + '"]');
        const rendered = document.getElementById('select2-' + select.id + '-container');
        if (label && rendered) {
            rendered.setAttribute('aria-label', label.textContent.replace(/[\s:]+$/, ''));
        }
    });
});
