'use strict';
// An autocomplete box (select2) is named after its field's label: select2 names its combobox by
// the chosen value only, so an empty one had no name for a screen reader.
//
// The admin's autocomplete.js builds the boxes in a jQuery ready handler, which jQuery 3 runs
// asynchronously: after DOMContentLoaded, sometimes after `load`. Naming them from a ready handler
// registered once the page's scripts have all run (DOMContentLoaded) puts this one after the
// admin's in jQuery's queue, whatever the order of the two scripts. A formset row added later is
// named the same way, after the admin's own `formset:added` listener has built its boxes.
{
    function nameBoxes(scope) {
        scope.querySelectorAll('select.admin-autocomplete').forEach(function(select) {
            const label = document.querySelector('label[for="' + select.id + '"]');
            const rendered = document.getElementById('select2-' + select.id + '-container');
            if (label && rendered) {
                rendered.setAttribute('aria-label', label.textContent.replace(/[\s:]+$/, ''));
            }
        });
    }

    function afterAdminBoxes(scope) {
        if (window.django && window.django.jQuery) {
            window.django.jQuery(function() { nameBoxes(scope); });
        }
    }

    document.addEventListener('DOMContentLoaded', function() { afterAdminBoxes(document); });
    document.addEventListener('formset:added', function(event) { afterAdminBoxes(event.target); });
}
